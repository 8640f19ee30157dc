using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>`resnet`: the CIFAR ResNet of He et al. (<see cref="CifarResNet"/>; twin: distill_models.CifarResNet).</summary>
public sealed class ResNetArchitecture() : Architecture<ResNetParameters>(Name, revision: 1,
    "CIFAR-style ResNet (He et al.): 3x3 stem, three stages of basic blocks, global pooling, linear classifier.")
{
    public const string Name = "resnet";

    protected override ClassifierNet Create(ResNetParameters p, int inputChannels, int height, int width, int classes) =>
        new CifarResNet(p.Depth, inputChannels, classes, p.Width, projection: p.Shortcut == ResNetShortcut.Projection);

    // Three stages of n blocks of two 3x3 convolutions; channels double as the area quarters, so each stage costs the
    // same. Projections add a 1x1 convolution at the start of stages 2 and 3 (w x 2w, then 2w x 4w, at a quarter's area).
    protected override double ForwardMacs(ResNetParameters p, int inputChannels, int height, int width) =>
        (double)height * width * (9.0 * inputChannels * p.Width + 3 * ((p.Depth - 2) / 6) * 2 * 9.0 * p.Width * p.Width
            + (p.Shortcut == ResNetShortcut.Projection ? 2.0 * p.Width * p.Width / 4 + 8.0 * p.Width * p.Width / 16 : 0));
}

/// <summary>What a `resnet` block whose shape changes adds to its output (He et al., section 3.3).</summary>
public enum ResNetShortcut
{
    /// <summary>Option A: the input subsampled, with zero channels added (no parameters; He et al.'s CIFAR networks, the paper's).</summary>
    ZeroPad,

    /// <summary>Option B: a strided 1x1 convolution and batch norm (RepDistiller's and mdistiller's resnet20..110).</summary>
    Projection,
}

/// <summary>A `resnet` model's keys.</summary>
public sealed record ResNetParameters(
    [Key("depth", "Layers: 6n+2 (20, 32, 44, 56, 110), n basic blocks per stage.", Min = 8, Rule = nameof(ResNetParameters.SixNPlusTwo), RuleText = "6n+2")]
    int Depth = 56,
    [Key("width", "Channels of the first stage (doubled at each later stage).", Min = 1)] int Width = 16,
    [Key("shortcut", "Where a block changes shape: zero-pad (He et al.'s option A: subsample, add zero channels; the paper's) or projection (option B: strided 1x1 convolution and batch norm; RepDistiller's and mdistiller's resnet20/56).")]
    ResNetShortcut Shortcut = ResNetShortcut.ZeroPad)
{
    private static string? SixNPlusTwo(object depth) => ((int)depth - 2) % 6 == 0 ? null : "must be 6n+2 (20, 32, 44, 56, 110 ...)";
}
