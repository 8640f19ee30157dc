using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>
/// A 3x3 convolution with stride 1 and padding 1 between 16, 32 or 64 channels, float32, on Distill's own kernels run
/// on LibTorch's OpenMP team, forward and backward: the 3x3 layers of the CIFAR ResNets but their strided ones, where
/// oneDNN 3.7.1's NHWC kernels reach about half the machine's peak at 16 channels (tools/Distill.Benchmarks/README.md,
/// "Distill's own 3x3 kernels"). At 64 channels only Winograd's products beat oneDNN, so they run here on images of
/// even size only (<see cref="Handles(ConvolutionShape)"/>). All three products go through Winograd's minimal
/// filtering where the image allows it (<see cref="TilingFor"/>): F(4x4, 3x3) and F(3x3, 4x4) (<see
/// cref="WinogradF4Kernels"/>, 4 times fewer multiply-adds) where both sides are multiples of 4 and an image holds 8 or
/// more 4x4 tiles, F(2x2, 3x3) and F(3x3, 2x2) (<see cref="WinogradKernels"/>, 2.25 times fewer) on other even sizes,
/// the direct kernels (<see cref="DirectConvolutionKernels"/>) on odd ones. Tensors are channels-last (NCHW shape,
/// NHWC memory) in and out, as the routed oneDNN convolutions leave them. Forward pass and input gradient run one
/// image per chunk; the weight gradient sums fixed groups of images per chunk and adds the groups in order, so every
/// result is the same for any thread count.
/// </summary>
internal sealed unsafe class DirectConvolution : autograd.SingleTensorFunction<DirectConvolution>
{
    /// <summary>Most images per chunk of the weight gradient (16 chunks at batch 128); fewer when images are large.</summary>
    private const int MostImagesPerGradientChunk = 8;

    /// <summary>About how much padded input a chunk of the weight gradient holds (it stays in the core's cache).</summary>
    private const long GradientChunkBytes = 1 << 20;

    [ThreadStatic] private static float* _scratch;
    [ThreadStatic] private static long _scratchFloats;

    public override string Name => nameof(DirectConvolution);

    /// <summary>
    /// Whether this machine and shape run here: AVX-512 vectors, and the shapes the kernels are for; 64 channels in or
    /// out only on images of even height and width (Winograd's), where the direct loops would be slower than oneDNN.
    /// </summary>
    public static bool Handles(ConvolutionShape shape) =>
        Vector512.IsHardwareAccelerated && shape.Config is { Kernel: 3, Stride: 1, Padding: 1, Precision: Precision.Fp32 } config &&
        config.InChannels is 16 or 32 or 64 && config.OutChannels is 16 or 32 or 64 &&
        (config.InChannels < 64 && config.OutChannels < 64 || WinogradKernels.Fits((int)shape.Height, (int)shape.Width));

    /// <summary>Input N x C x H x W (any strides), weight O x C x 3 x 3; the output has channels-last strides.</summary>
    public static Tensor Apply(Tensor input, Tensor weight)
    {
        // The kernels read raw float32 memory of exactly these shapes: anything else must never reach them.
        if (input.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU || input.dim() != 4
            || weight.shape[1] != input.shape[1] || weight.shape[3] != 3
            || !Handles(new ConvolutionShape(new ConvolutionConfig(weight.shape[1], weight.shape[0], weight.shape[2], 1, 1, false),
                input.shape[2], input.shape[3])))
            throw new ArgumentException($"Distill's 3x3 kernels take float32 CPU tensors of 16, 32 or 64 channels, not {input.dtype} " +
                                        $"{string.Join('x', input.shape)} with weight {string.Join('x', weight.shape)}");
        if (!is_grad_enabled() || !(input.requires_grad || weight.requires_grad))
            return Product(input, weight);
        var output = apply(input, weight);
        AutogradNodeMemory.ReleaseOutputTemplates();
        return output;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, weight) = ((Tensor)vars[0], (Tensor)vars[1]);
        AutogradNodeMemory.NoticeForward(ctx);
        ctx.save_for_backward([input, weight]);
        ctx.save_data("input_gradient", input.requires_grad);
        return Product(input, weight);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (input, weight) = (saved[0], saved[1]);
        var gradient = ChannelsLast(gradOutput);
        Tensor? inputGradient = null;
        if ((bool)ctx.get_data("input_gradient"))
        {
            // dx is the same product of dy with the kernel flipped in space and its channel axes swapped.
            using var detached = weight.detach();
            using var flipped = detached.flip(2, 3);
            using var transposed = flipped.transpose(0, 1);
            inputGradient = Product(gradient, transposed);
        }
        var weightGradient = WeightGradient(input, gradient, weight.shape[0]);
        gradient.Dispose();
        gradOutput.Dispose();
        // Freed now, as LibTorch's own nodes free theirs, not at the end of the step (see AutogradNodeMemory); kept
        // while the graph is to be differentiated again (DOT's step).
        if (!AutogradNodeMemory.GraphsRetained)
        {
            foreach (var tensor in saved) tensor.Dispose();
            AutogradNodeMemory.ReleaseSavedTensors(ctx);
        }
        return AutogradNodeMemory.HandOver([inputGradient!, weightGradient]);
    }

    /// <summary>The weights as the direct kernels read them: [3][3][C][O].</summary>
    private static Tensor Packed(Tensor weight)
    {
        using var detached = weight.detach();
        using var permuted = detached.permute(2, 3, 1, 0);
        return permuted.contiguous();
    }

    /// <summary>
    /// The weights as the Winograd kernels read them: G g G^T of each 3x3 kernel, [4][4][C][O], computed in float64
    /// here in a fixed order (G's entries are 0, 1 and 1/2, so it is exact but for the last rounding).
    /// </summary>
    private static Tensor WinogradWeights(Tensor weight)
    {
        using var detached = weight.detach();
        using var source = detached.contiguous();
        var (o, c) = ((int)weight.shape[0], (int)weight.shape[1]);
        var transformed = empty([WinogradKernels.Positions, c, o]);
        float* g = Data(source), u = Data(transformed);
        Span<double> rows = stackalloc double[12];
        for (int oc = 0; oc < o; oc++)
        for (int ic = 0; ic < c; ic++, g += 9)
        {
            // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of the kernel's three rows, per column.
            for (int j = 0; j < 3; j++)
            {
                double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                (rows[j], rows[3 + j], rows[6 + j], rows[9 + j]) = (g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2);
            }
            // (G g) G^T: the same on each row's three columns.
            for (int i = 0; i < 4; i++)
            {
                double r0 = rows[3 * i], r1 = rows[3 * i + 1], r2 = rows[3 * i + 2];
                u[((4 * i + 0) * c + ic) * o + oc] = (float)r0;
                u[((4 * i + 1) * c + ic) * o + oc] = (float)((r0 + r1 + r2) / 2);
                u[((4 * i + 2) * c + ic) * o + oc] = (float)((r0 - r1 + r2) / 2);
                u[((4 * i + 3) * c + ic) * o + oc] = (float)r2;
            }
        }
        return transformed;
    }

    /// <summary>
    /// G g G^T of each 3x3 kernel for F(4x4, 3x3), [6][6][C][O] (<see cref="WinogradF4Kernels.G"/>), in float64 in a
    /// fixed order.
    /// </summary>
    private static Tensor WinogradF4Weights(Tensor weight)
    {
        using var detached = weight.detach();
        using var source = detached.contiguous();
        var (o, c) = ((int)weight.shape[0], (int)weight.shape[1]);
        var transformed = empty([WinogradF4Kernels.Positions, c, o]);
        float* g = Data(source), u = Data(transformed);
        var matrix = WinogradF4Kernels.G;
        Span<double> rows = stackalloc double[18];
        for (int oc = 0; oc < o; oc++)
        for (int ic = 0; ic < c; ic++, g += 9)
        {
            // G g (6 x 3), then (G g) G^T (6 x 6).
            for (int i = 0; i < 6; i++)
            for (int j = 0; j < 3; j++)
                rows[3 * i + j] = matrix[i, 0] * g[j] + matrix[i, 1] * g[3 + j] + matrix[i, 2] * g[6 + j];
            for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                u[((6 * i + j) * c + ic) * o + oc] =
                    (float)(rows[3 * i] * matrix[j, 0] + rows[3 * i + 1] * matrix[j, 1] + rows[3 * i + 2] * matrix[j, 2]);
        }
        return transformed;
    }

    /// <summary>How the 3x3 products and weight gradient of images of a size are computed.</summary>
    private enum Tiling
    {
        /// <summary>The direct loops (<see cref="DirectConvolutionKernels"/>): images of odd height or width.</summary>
        Direct,

        /// <summary>Winograd's F(2x2, 3x3) (<see cref="WinogradKernels"/>).</summary>
        F2,

        /// <summary>Winograd's F(4x4, 3x3) (<see cref="WinogradF4Kernels"/>).</summary>
        F4,
    }

    private static Tiling TilingFor(int height, int width) =>
        WinogradF4Kernels.Fits(height, width) ? Tiling.F4 : WinogradKernels.Fits(height, width) ? Tiling.F2 : Tiling.Direct;

    /// <summary>
    /// The 3x3 products of every image with a kernel O x C x 3 x 3 (any strides); channels-last N x O x H x W. Images
    /// whose sides are multiples of 4 go through Winograd's F(4x4, 3x3), other images of even height and width through
    /// F(2x2, 3x3), the rest through the direct kernels.
    /// </summary>
    private static Tensor Product(Tensor input, Tensor weight)
    {
        using var nhwc = ChannelsLast(input);
        var (n, c, h, w) = ((int)nhwc.shape[0], (int)nhwc.shape[1], (int)nhwc.shape[2], (int)nhwc.shape[3]);
        int outChannels = (int)weight.shape[0];
        var tiling = TilingFor(h, w);
        using var packed = tiling switch
        {
            Tiling.F4 => WinogradF4Weights(weight),
            Tiling.F2 => WinogradWeights(weight),
            _ => Packed(weight),
        };
        // Channels-last strides on a tensor of its own, not a permuted view: a custom function's output that is a view
        // cannot be modified in place (a pre-activation block adds to it).
        var output = empty_strided([n, outChannels, h, w], [h * w * outChannels, 1, w * outChannels, outChannels]);
        var body = new ProductChunk(Data(nhwc), Data(packed), Data(output), h, w, c, outChannels, tiling);
        OpenMpTeam.For(n, get_num_threads(), body);
        return output;
    }

    /// <summary>dW (O x C x 3 x 3): per chunk of images a partial [3][3][C][O], added up in chunk order.</summary>
    private static Tensor WeightGradient(Tensor input, Tensor gradient, long outChannels)
    {
        using var nhwc = ChannelsLast(input);
        var (n, c, h, w) = ((int)nhwc.shape[0], (int)nhwc.shape[1], (int)nhwc.shape[2], (int)nhwc.shape[3]);
        long paddedImageBytes = (long)(h + 2) * (w + 2) * c * sizeof(float);
        int imagesPerChunk = (int)Math.Clamp(GradientChunkBytes / paddedImageBytes, 1, MostImagesPerGradientChunk);
        int chunks = (n + imagesPerChunk - 1) / imagesPerChunk;
        using var partials = zeros([chunks, 3, 3, c, outChannels]);
        var body = new GradientChunk(Data(nhwc), Data(gradient), Data(partials), n, imagesPerChunk, h, w, c, (int)outChannels,
            TilingFor(h, w));
        OpenMpTeam.For(chunks, get_num_threads(), body);
        using var total = SumInOrder(partials);
        using var oihw = total.permute(3, 2, 0, 1);
        return oihw.contiguous();
    }

    /// <summary>The chunks' partial sums added in chunk order (LibTorch's sum over a dimension may pair them otherwise).</summary>
    private static Tensor SumInOrder(Tensor partials)
    {
        var total = partials[0].clone();
        for (long chunk = 1; chunk < partials.shape[0]; chunk++)
        {
            using var part = partials[chunk];
            total.add_(part);
        }
        return total;
    }

    /// <summary>The tensor, or a copy of it, with channels-last strides: its memory is N x H x W x C.</summary>
    private static Tensor ChannelsLast(Tensor t) => RoutedConvolution.ChannelsLastCopyOrNull(t) ?? t.alias();

    private static float* Data(Tensor t) => TensorMemory.Float32(t);

    /// <summary>
    /// This thread's buffer for padded images, grown to the largest request and kept for the process's life (the
    /// OpenMP team's threads live as long): no allocation per chunk.
    /// </summary>
    private static float* Scratch(long floats)
    {
        if (_scratchFloats < floats)
        {
            NativeMemory.AlignedFree(_scratch);
            _scratch = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            _scratchFloats = floats;
        }
        return _scratch;
    }

    private sealed class ProductChunk(float* input, float* packed, float* output, int h, int w, int c, int o, Tiling tiling)
        : IChunkBody
    {
        public void Run(int image)
        {
            long positions = (long)(h + 2) * (w + 2), paddedFloats = (positions + DirectConvolutionKernels.Slack) * c;
            long tileFloats = tiling switch
            {
                Tiling.F4 => WinogradF4Kernels.ScratchFloats(c, o),
                Tiling.F2 => WinogradKernels.ScratchFloats(c, o),
                _ => 0,
            };
            float* padded = Scratch(paddedFloats + tileFloats), tiles = padded + paddedFloats;
            DirectConvolutionKernels.Pad(input + (long)image * h * w * c, h, w, c, padded);
            new Span<float>(padded + positions * c, DirectConvolutionKernels.Slack * c).Clear();
            float* target = output + (long)image * h * w * o;
            switch (tiling)
            {
                case Tiling.F4: WinogradF4Kernels.Product(padded, h, w, c, packed, o, target, tiles); break;
                case Tiling.F2: WinogradKernels.Product(padded, h, w, c, packed, o, target, tiles); break;
                default: DirectConvolutionKernels.Product(padded, h, w, c, packed, o, target); break;
            }
        }
    }

    private sealed class GradientChunk(float* input, float* gradient, float* partials, int n, int imagesPerChunk, int h, int w, int c, int o,
        Tiling tiling) : IChunkBody
    {
        public void Run(int chunk)
        {
            int first = chunk * imagesPerChunk, images = Math.Min(n, first + imagesPerChunk) - first;
            long paddedImage = (long)(h + 2) * (w + 2) * c;
            long tileFloats = tiling switch
            {
                Tiling.F4 => WinogradF4Kernels.GradientScratchFloats(c, o),
                Tiling.F2 => WinogradKernels.GradientScratchFloats(c, o),
                _ => 0,
            };
            // The chunk's images padded one after another, so that the sums stay in registers from the first to the last.
            float* padded = Scratch(images * paddedImage + tileFloats), tiles = padded + images * paddedImage;
            for (int i = 0; i < images; i++)
                DirectConvolutionKernels.Pad(input + (long)(first + i) * h * w * c, h, w, c, padded + i * paddedImage);
            float* imagesGradient = gradient + (long)first * h * w * o, partial = partials + (long)chunk * 9 * c * o;
            switch (tiling)
            {
                case Tiling.F4: WinogradF4Kernels.AddWeightGradient(padded, imagesGradient, images, h, w, c, o, partial, tiles); break;
                case Tiling.F2: WinogradKernels.AddWeightGradient(padded, imagesGradient, images, h, w, c, o, partial, tiles); break;
                default: DirectConvolutionKernels.AddWeightGradient(padded, imagesGradient, images, h, w, c, o, partial); break;
            }
        }
    }
}
