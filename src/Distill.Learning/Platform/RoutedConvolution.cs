using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>A 2-D convolution run on the kernel <see cref="ConvolutionRouting"/> chooses for it.</summary>
public static class RoutedConvolution
{
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, long stride, long padding)
    {
        if (input.device_type != DeviceType.CPU || input.dtype != ScalarType.Float32)
            return nn.functional.conv2d(input, weight, bias, [stride, stride], [padding, padding]);
        var config = new ConvolutionConfig(weight.shape[1], weight.shape[0], weight.shape[2], stride, padding, input.requires_grad && is_grad_enabled());
        ConvolutionShapeRecorder.Notice(new ConvolutionShape(config, input.shape[2], input.shape[3]));
        return Apply(input, weight, bias, config, ConvolutionRouting.KernelFor(config));
    }

    /// <summary>The same convolution on a kernel of the caller's choice (the self-check compares them).</summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, ConvolutionConfig config, ConvolutionKernel kernel)
    {
        long[] stride = [config.Stride, config.Stride], padding = [config.Padding, config.Padding];
        switch (kernel)
        {
            case ConvolutionKernel.OneDnn:
                return nn.functional.conv2d(input, weight, bias, stride, padding);
            case ConvolutionKernel.PaddedOneDnn:
            {
                // Zero channels change no sum; autograd slices their gradients off again.
                var (inChannels, outChannels) = ConvolutionRouting.PaddedChannels(config);
                using var paddedInput = nn.functional.pad(input, [0, 0, 0, 0, 0, inChannels - config.InChannels]);
                using var paddedWeight = nn.functional.pad(weight, [0, 0, 0, 0, 0, inChannels - config.InChannels, 0, outChannels - config.OutChannels]);
                using var paddedOutput = nn.functional.conv2d(paddedInput, paddedWeight, null, stride, padding);
                var output = paddedOutput.narrow(1, 0, config.OutChannels);
                return bias is null ? output : AddBias(output, bias);
            }
            default:
            {
                var output = NativeConvolution.Apply(input, weight, config.Stride, config.Padding);
                return bias is null ? output : AddBias(output, bias);
            }
        }
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
