namespace Distill.Learning.Platform;

/// <summary>
/// What decides which kernel runs a square, ungrouped 2-D convolution: channel counts, kernel size,
/// stride, padding, and whether the gradient of its input is needed (false for a network's first
/// layer and for evaluation, where only the forward pass and the weight gradient run), and the precision it
/// multiplies in (bfloat16 runs other oneDNN kernels, checked and routed on their own).
/// </summary>
public readonly record struct ConvolutionConfig(long InChannels, long OutChannels, long Kernel, long Stride, long Padding, bool InputGradient,
    Precision Precision = Precision.Fp32)
{
    public override string ToString() =>
        $"{InChannels}->{OutChannels} channels, {Kernel}x{Kernel} kernel, stride {Stride}, padding {Padding}" +
        (InputGradient ? "" : ", no input gradient") + (Precision == Precision.Fp32 ? "" : $", {Precision.Name()}");
}

/// <summary>A convolution configuration applied to inputs of one spatial size.</summary>
public readonly record struct ConvolutionShape(ConvolutionConfig Config, long Height, long Width)
{
    public override string ToString() => $"conv {Config} on {Height}x{Width} inputs";
}

/// <summary>Which implementation runs a convolution on the CPU.</summary>
public enum ConvolutionKernel
{
    /// <summary>
    /// oneDNN on NCHW tensors, LibTorch's default for float32 on the CPU: activations are reordered to and from
    /// oneDNN's blocked layouts on every call; wrong for some shapes in LibTorch 2.10 (the "before" of the workaround).
    /// </summary>
    OneDnn,

    /// <summary>
    /// oneDNN on channels-last strides (NCHW shape, NHWC memory): its NHWC kernels, with no activation reorders.
    /// What the routing chooses where oneDNN is trusted.
    /// </summary>
    OneDnnChannelsLast,

    /// <summary>oneDNN on channel counts zero-padded to sizes it computes right; the padding is sliced off again.</summary>
    PaddedOneDnn,

    /// <summary>
    /// LibTorch's own kernels (im2col + GEMM) with oneDNN switched off around the call and its gradient. Always float32,
    /// also for a bfloat16 configuration: the fallback exists for shapes oneDNN gets wrong, and must be right.
    /// </summary>
    Native,

    /// <summary>Distill's own 3x3 kernels for 16 to 64 channels on AVX-512 (<see cref="DirectConvolution"/>), float32.</summary>
    Direct,
}
