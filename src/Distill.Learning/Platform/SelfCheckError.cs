using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>The error measure every kernel self-check uses.</summary>
internal static class SelfCheckError
{
    /// <summary>The largest difference from the float64 reference, relative to the reference's largest value.</summary>
    public static double Relative(Tensor actual, Tensor reference)
    {
        using var scope = NewDisposeScope();
        double scale = reference.detach().abs().max().item<double>();
        double error = actual.detach().to(ScalarType.Float64).sub(reference.detach()).abs().max().item<double>();
        return scale > 0 ? error / scale : error;
    }
}
