namespace Distill.Learning.Platform;

/// <summary>The arithmetic a model's convolutions and matrix products run in.</summary>
public enum Precision
{
    /// <summary>float32 throughout (the default; the results of every earlier version).</summary>
    Fp32,

    /// <summary>
    /// Mixed precision, as PyTorch's CPU autocast does it: convolutions and the hidden linear layers multiply in
    /// bfloat16 (inputs and weights rounded to bfloat16, products summed in float32 by oneDNN, the result rounded to
    /// bfloat16), and the activations stay bfloat16 between layers (batch norm, ReLU, adds and pooling read and
    /// write bfloat16; batch norm sums its statistics in float32). Weights, gradients, optimizer state, batch-norm
    /// statistics, the classifier, softmax, loss and every feature point a loss reads are float32. Needs a CPU with bfloat16 instructions
    /// (<see cref="PrecisionSupport"/>). A CPU mode: on a CUDA device the layers compute in float32.
    /// </summary>
    Bf16,
}

/// <summary>A precision this machine cannot run: one line naming the missing CPU flag.</summary>
public sealed class CpuFeatureMissingException(string message) : PlatformDefectException(message);

/// <summary>Whether this machine can run a precision, and the one-line reason when it cannot.</summary>
public static class PrecisionSupport
{
    /// <summary>Null when <paramref name="precision"/> runs here; otherwise why not, in one line.</summary>
    public static string? Unavailable(Precision precision) => precision switch
    {
        Precision.Fp32 => null,
        Precision.Bf16 => CpuIsa.Bf16Unavailable is { } reason
            ? $"precision bf16 needs bfloat16 instructions that oneDNN can use, but {reason}; use precision fp32 on this machine"
            : null,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>Throws <see cref="CpuFeatureMissingException"/> when <paramref name="precision"/> cannot run here.</summary>
    public static void EnsureSupported(Precision precision)
    {
        if (Unavailable(precision) is { } reason) throw new CpuFeatureMissingException(reason);
    }

    /// <summary>The type of the activations between layers: bfloat16 in <see cref="Precision.Bf16"/>, else float32.</summary>
    public static TorchSharp.torch.ScalarType ActivationType(this Precision precision) =>
        precision == Precision.Bf16 ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;

    /// <summary>"fp32" or "bf16", as pipelines spell them.</summary>
    public static string Name(this Precision precision) => precision switch
    {
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };
}
