using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>`resnet-x4`: RepDistiller's resnet8x4 and resnet32x4 (<see cref="CifarResNet"/> with projection shortcuts; twin: distill_models.CifarResNet).</summary>
public sealed class ResNetX4Architecture() : Architecture<ResNetX4Parameters>(Name, revision: 1,
    "The wide CIFAR ResNets of the distillation benchmarks (RepDistiller's resnet8x4, resnet32x4; 32x4 teaching 8x4): a 32-channel stem, three stages of 64, 128 and 256 channels, projection shortcuts (1x1 convolution and batch norm) where the shape changes.")
{
    public const string Name = "resnet-x4";

    private const int StemWidth = 32, Width = 64;

    protected override ClassifierNet Create(ResNetX4Parameters p, int inputChannels, int height, int width, int classes) =>
        new CifarResNet(p.Depth, inputChannels, classes, Width, StemWidth, projection: true);

    // Stem, then each block's two 3x3 convolutions (the first strided in stages 2 and 3) and the projections where the shape changes.
    protected override double ForwardMacs(ResNetX4Parameters p, int inputChannels, int height, int width)
    {
        double area = (double)height * width, macs = 9.0 * inputChannels * StemWidth * area, cin = StemWidth;
        for (int stage = 0; stage < 3; stage++)
        {
            double cout = Width << stage, outArea = area / (1 << (2 * stage));
            for (int b = 0; b < (p.Depth - 2) / 6; b++)
            {
                macs += 9.0 * cin * cout * outArea + 9.0 * cout * cout * outArea + (cin != cout ? cin * cout * outArea : 0);
                cin = cout;
            }
        }
        return macs;
    }
}

/// <summary>A `resnet-x4` model's keys.</summary>
public sealed record ResNetX4Parameters(
    [Key("depth", "Layers: 6n+2, n basic blocks per stage (8 and 32 in the benchmarks).", Min = 8, Rule = nameof(ResNetX4Parameters.SixNPlusTwo), RuleText = "6n+2")]
    int Depth = 8)
{
    private static string? SixNPlusTwo(object depth) => ((int)depth - 2) % 6 == 0 ? null : "must be 6n+2 (8, 20, 32 ...)";
}
