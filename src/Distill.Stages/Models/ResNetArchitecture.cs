using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>`resnet`: the CIFAR ResNet of He et al. (<see cref="CifarResNet"/>; twin: distill_models.CifarResNet).</summary>
public sealed class ResNetArchitecture() : Architecture<ResNetParameters>(Name,
    "CIFAR-style ResNet (He et al.): 3x3 stem, three stages of basic blocks, global pooling, linear classifier.")
{
    public const string Name = "resnet";

    protected override ClassifierNet Create(ResNetParameters p, int inputChannels, int height, int width, int classes) =>
        new CifarResNet(p.Depth, inputChannels, classes, p.Width);

    // Three stages of n blocks of two 3x3 convolutions; channels double as the area quarters, so each stage costs the same.
    protected override double ForwardMacs(ResNetParameters p, int inputChannels, int height, int width) =>
        (double)height * width * (9.0 * inputChannels * p.Width + 3 * ((p.Depth - 2) / 6) * 2 * 9.0 * p.Width * p.Width);
}

/// <summary>A `resnet` model's keys.</summary>
public sealed record ResNetParameters(
    [Key("depth", "Layers: 6n+2 (20, 32, 44, 56, 110), n basic blocks per stage.", Min = 8, Rule = nameof(ResNetParameters.SixNPlusTwo), RuleText = "6n+2")]
    int Depth = 56,
    [Key("width", "Channels of the first stage (doubled at each later stage).", Min = 1)] int Width = 16)
{
    private static string? SixNPlusTwo(object depth) => ((int)depth - 2) % 6 == 0 ? null : "must be 6n+2 (20, 32, 44, 56, 110 ...)";
}
