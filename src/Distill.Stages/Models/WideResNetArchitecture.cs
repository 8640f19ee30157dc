using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>`wrn`: the wide ResNet WRN-d-k (<see cref="WideResNet"/>; twin: distill_models.WideResNet).</summary>
public sealed class WideResNetArchitecture() : Architecture<WideResNetParameters>(Name, revision: 1,
    "Wide ResNet WRN-d-k (Zagoruyko and Komodakis): pre-activation basic blocks of 16k, 32k and 64k channels, as in the distillation benchmarks (wrn-40-2 teaching wrn-16-2).")
{
    public const string Name = "wrn";

    protected override ClassifierNet Create(WideResNetParameters p, int inputChannels, int height, int width, int classes) =>
        new WideResNet(p.Depth, p.WidenFactor, inputChannels, classes);

    // As ResNet's: each of the three stages costs n blocks of two 3x3 convolutions at 16k channels and full area.
    protected override double ForwardMacs(WideResNetParameters p, int inputChannels, int height, int width)
    {
        double channels = 16.0 * p.WidenFactor;
        return (double)height * width * (9.0 * inputChannels * 16 + 3 * ((p.Depth - 4) / 6) * 2 * 9.0 * channels * channels);
    }
}

/// <summary>A `wrn` model's keys.</summary>
public sealed record WideResNetParameters(
    [Key("depth", "Layers: 6n+4 (10, 16, 22, 28, 40), n blocks per stage.", Min = 10, Rule = nameof(WideResNetParameters.SixNPlusFour), RuleText = "6n+4")]
    int Depth = 16,
    [Key("widen-factor", "k: each stage has k times the channels of the thin network (16, 32, 64).", Min = 1)] int WidenFactor = 2)
{
    private static string? SixNPlusFour(object depth) => ((int)depth - 4) % 6 == 0 ? null : "must be 6n+4 (10, 16, 22, 28, 40 ...)";
}
