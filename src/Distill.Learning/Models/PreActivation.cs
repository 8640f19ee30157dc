using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A layer whose output is the ReLU of a value it computes last (a residual block's sum), which it can return too: the
/// pre-activation feature points (`stage2-preact`) that OFD, AB and ReviewKD read, as mdistiller's preact_feats.
/// </summary>
public interface IPreActivationLayer
{
    /// <summary>The value the final ReLU is applied to, and the layer's output (that ReLU), in one pass.</summary>
    (Tensor PreActivation, Tensor Output) ForwardWithPreActivation(Tensor x);

    /// <summary>The batch norm whose output the pre-activation adds up (mdistiller's get_bn_before_relu: OFD's margins).</summary>
    BatchNorm2d NormBeforeActivation { get; }
}

/// <summary>The names of pre-activation feature points.</summary>
public static class PreActivation
{
    public const string Suffix = "-preact";

    /// <summary>The pre-activation point of a point: `stage2` gives `stage2-preact`.</summary>
    public static string Of(string point) => point + Suffix;
}
