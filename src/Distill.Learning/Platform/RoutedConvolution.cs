using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>A 2-D convolution run on the kernel <see cref="ConvolutionRouting"/> chooses for it.</summary>
public static class RoutedConvolution
{
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, long stride, long padding, Precision precision = Precision.Fp32)
    {
        if (input.device_type != DeviceType.CPU || input.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            return nn.functional.conv2d(input, weight, bias, [stride, stride], [padding, padding]);
        var config = new ConvolutionConfig(weight.shape[1], weight.shape[0], weight.shape[2], stride, padding, input.requires_grad && is_grad_enabled(), precision);
        var shape = new ConvolutionShape(config, input.shape[2], input.shape[3]);
        ConvolutionShapeRecorder.Notice(shape);
        return Apply(input, weight, bias, config, ConvolutionRouting.KernelFor(shape));
    }

    /// <summary>
    /// The same convolution on a kernel of the caller's choice (the self-check compares them). Each kernel runs
    /// on one memory layout whatever the caller's tensors are, so the self-check, which passes NCHW tensors
    /// through here, measures exactly what a model runs: <see cref="ConvolutionKernel.OneDnnChannelsLast"/> and
    /// the padded kernel on channels-last strides (NCHW shape, NHWC memory), for which LibTorch calls oneDNN's
    /// NHWC convolutions without reordering activations to and from its blocked layout on every call (their
    /// outputs, hence the activations of the layers after them, stay channels-last);
    /// <see cref="ConvolutionKernel.OneDnn"/> and the native kernels on contiguous NCHW.
    /// In <see cref="Precision.Bf16"/> the oneDNN kernels take input, weight and bias rounded to bfloat16 (autograd
    /// widens the weights' gradients back to float32 for the float32 weights) and return bfloat16, which the next
    /// layers take as it is: activations stay bfloat16 between layers, as under PyTorch's CPU autocast, so batch norm,
    /// ReLU and adds move half the bytes and no layer casts its output back. The native kernels compute in float32
    /// and round their output to bfloat16 too. In float32 input and output are float32.
    /// </summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, ConvolutionConfig config, ConvolutionKernel kernel)
    {
        if (IsStridedPointwise(config) && kernel != ConvolutionKernel.Native)
        {
            using var subsampled = Subsample(input, config);
            return Apply(subsampled, weight, bias, config with { Stride = 1, Padding = 0 }, kernel);
        }
        if (config.Precision == Precision.Fp32) return OnKernel(input, weight, bias, config, kernel);
        if (kernel == ConvolutionKernel.Native)
        {
            using var wide = input.to(ScalarType.Float32);
            using var output = OnKernel(wide, weight, bias, config, kernel);
            return output.to(ScalarType.BFloat16);
        }
        // Rounded before the layout copy, which then moves half the bytes; .to keeps a tensor's strides and is
        // free on an input that is bfloat16 already.
        using var input16 = input.to(ScalarType.BFloat16);
        using var weight16 = weight.to(ScalarType.BFloat16);
        using var bias16 = bias?.to(ScalarType.BFloat16);
        return OnKernel(input16, weight16, bias16, config, kernel);
    }

    private static Tensor OnKernel(Tensor input, Tensor weight, Tensor? bias, ConvolutionConfig config, ConvolutionKernel kernel)
    {
        long[] stride = [config.Stride, config.Stride], padding = [config.Padding, config.Padding];
        switch (kernel)
        {
            case ConvolutionKernel.OneDnn:
            {
                using var nchw = input.is_contiguous() ? null : input.contiguous();
                return nn.functional.conv2d(nchw ?? input, weight, bias, stride, padding);
            }
            case ConvolutionKernel.OneDnnChannelsLast:
            {
                using var nhwc = ChannelsLast(input);
                return nn.functional.conv2d(nhwc ?? input, weight, bias, stride, padding);
            }
            case ConvolutionKernel.PaddedOneDnn:
            {
                // Zero channels change no sum; autograd slices their gradients off again.
                var (inChannels, outChannels) = ConvolutionRouting.PaddedChannels(config);
                using var nhwc = ChannelsLast(input);
                using var paddedInput = ChannelsLastOrSelf(nn.functional.pad(nhwc ?? input, [0, 0, 0, 0, 0, inChannels - config.InChannels]));
                using var paddedWeight = nn.functional.pad(weight, [0, 0, 0, 0, 0, inChannels - config.InChannels, 0, outChannels - config.OutChannels]);
                using var paddedOutput = nn.functional.conv2d(paddedInput, paddedWeight, null, stride, padding);
                var output = paddedOutput.narrow(1, 0, config.OutChannels);
                return bias is null ? output : AddBias(output, bias);
            }
            case ConvolutionKernel.Direct:
            {
                // Asked for by name (the routing never picks it elsewhere): stride and padding are not in the tensors.
                if (!DirectConvolution.Handles(new ConvolutionShape(config, input.shape[2], input.shape[3])))
                    throw new ArgumentException($"Distill's own kernels do not compute a convolution of {config} on this machine");
                var output = DirectConvolution.Apply(input, weight);
                return bias is null ? output : AddBias(output, bias);
            }
            default:
            {
                using var nchw = input.is_contiguous() ? null : input.contiguous();
                var output = NativeConvolution.Apply(nchw ?? input, weight, config.Stride, config.Padding);
                return bias is null ? output : AddBias(output, bias);
            }
        }
    }

    /// <summary>
    /// A 1x1 convolution with a stride (a ResNet's projection shortcut). oneDNN 3.7.1 computes its weight gradient by
    /// first copying the strided input into a unit-stride buffer in the scratchpad LibTorch allocates for it
    /// (jit_avx512_common_1x1_convolution_bwd_weights_t's "reduce to unit stride" copy), and on AVX-512 that copy
    /// writes past the buffer's end when the input has fewer than 16 channels: 64 bytes for 15 channels to 2,752 for
    /// one, for two 16x16 images (docs/platform-defects.md). The heap's next block is damaged, and glibc aborts the
    /// process at a later free ("double free or corruption"). The values stay right, so no self-check can see it.
    /// </summary>
    public static bool IsStridedPointwise(ConvolutionConfig config) => config.Kernel == 1 && config.Stride > 1;

    /// <summary>
    /// The pixels a strided 1x1 convolution reads, as the input of the same convolution at stride 1: the unit-stride
    /// copy oneDNN would make, made by LibTorch (whose autograd scatters the gradient back). Same sums, same result.
    /// </summary>
    private static Tensor Subsample(Tensor input, ConvolutionConfig config)
    {
        long p = config.Padding, s = config.Stride;
        using var padded = p == 0 ? null : nn.functional.pad(input, [p, p, p, p]);
        var source = padded ?? input;
        using var rows = source.slice(2, 0, source.shape[2], s);
        return rows.slice(3, 0, source.shape[3], s);
    }

    /// <summary>True when a 4-D tensor has channels-last strides (dimensions of size 1 may have any stride).</summary>
    public static bool IsChannelsLast(Tensor t)
    {
        if (t.dim() != 4) return false;
        long[] shape = t.shape, strides = t.stride();
        long expected = 1;
        foreach (int d in (int[])[1, 3, 2, 0])
        {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>
    /// The tensor with channels-last strides LibTorch recognises, or null when it has them already: a view when only
    /// the strides of size-1 dimensions differ, otherwise a copy. LibTorch reads the layout from strides, size-1
    /// dimensions included, so a contiguous N x 1 x H x W batch (one-channel images) counts as NCHW there and its
    /// convolution, and every layer until the next convolution, would run NCHW.
    /// </summary>
    private static Tensor? ChannelsLast(Tensor t)
    {
        long[] shape = t.shape;
        long[] canonical = [shape[1] * shape[2] * shape[3], 1, shape[3] * shape[1], shape[1]];
        if (IsChannelsLast(t))
            return t.stride().SequenceEqual(canonical) ? null : t.as_strided(shape, canonical, t.storage_offset());
        using var nhwc = t.permute(0, 2, 3, 1);
        using var packed = nhwc.contiguous();
        return packed.permute(0, 3, 1, 2);
    }

    /// <summary>A copy of <paramref name="t"/> with channels-last strides, or null when its memory is laid out so already.</summary>
    internal static Tensor? ChannelsLastCopyOrNull(Tensor t) => IsChannelsLast(t) ? null : ChannelsLast(t);

    private static Tensor ChannelsLastOrSelf(Tensor t)
    {
        var copy = ChannelsLast(t);
        if (copy is null) return t;
        t.Dispose();
        return copy;
    }

    private static Tensor AddBias(Tensor output, Tensor bias)
    {
        using var column = bias.view(1, -1, 1, 1);
        using (output)
            return output.add(column);
    }
}

/// <summary>Collects the shapes of the convolutions a forward pass runs, on the recording thread only.</summary>
public static class ConvolutionShapeRecorder
{
    [ThreadStatic] private static HashSet<ConvolutionShape>? _shapes;

    public static IDisposable Start(out IReadOnlyCollection<ConvolutionShape> shapes)
    {
        var set = new HashSet<ConvolutionShape>();
        _shapes = set;
        shapes = set;
        return new Stopper();
    }

    internal static void Notice(ConvolutionShape shape) => _shapes?.Add(shape);

    private sealed class Stopper : IDisposable
    {
        public void Dispose() => _shapes = null;
    }
}
