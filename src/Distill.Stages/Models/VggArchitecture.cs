using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>`vgg`: the CIFAR VGG with batch norm (<see cref="VggCifar"/>; twin: distill_models.VggCifar).</summary>
public sealed class VggArchitecture() : Architecture<VggParameters>(Name, revision: 1,
    "CIFAR VGG with batch norm, as in the distillation benchmarks (RepDistiller's vgg8_bn, vgg11_bn, vgg13_bn; vgg13 teaching vgg8): five stages of 64-512 channels, max pooling between the first four, global pooling, linear classifier.")
{
    public const string Name = "vgg";

    protected override ClassifierNet Create(VggParameters p, int inputChannels, int height, int width, int classes) =>
        new VggCifar(p.Depth, inputChannels, classes);

    // Each convolution at its stage's area: full, 1/4, 1/16, then 1/64 for the last two stages.
    protected override double ForwardMacs(VggParameters p, int inputChannels, int height, int width)
    {
        int[] channels = [64, 128, 256, 512, 512];
        double[] area = [1, 0.25, 1.0 / 16, 1.0 / 64, 1.0 / 64];
        double macs = 0, cin = inputChannels;
        var plan = VggCifar.Plans[p.Depth];
        for (int stage = 0; stage < 5; stage++)
            for (int c = 0; c < plan[stage]; c++)
            {
                macs += 9.0 * cin * channels[stage] * height * width * area[stage];
                cin = channels[stage];
            }
        return macs;
    }
}

/// <summary>A `vgg` model's keys.</summary>
public sealed record VggParameters(
    [Key("depth", "8, 11 or 13: one convolution per stage, 1-1-2-2-2, or two per stage.", Rule = nameof(VggParameters.KnownDepth), RuleText = "8, 11 or 13")]
    int Depth = 13)
{
    private static string? KnownDepth(object depth) => VggCifar.Plans.ContainsKey((int)depth) ? null : "must be 8, 11 or 13";
}
