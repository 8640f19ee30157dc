using System.Runtime.Intrinsics;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>
/// Distill's own 3x3 convolution kernels (DirectConvolution) against float64, on AVX-512 machines; elsewhere (CI's AVX2
/// pass keeps .NET to 256-bit vectors) the routing must not choose them.
/// </summary>
public sealed class DirectConvolutionTests
{
    private static readonly bool Wide = Vector512.IsHardwareAccelerated;

    // Odd sizes take the direct kernels: widths that end on every block size, blocks across row ends; batches with a
    // short last weight-gradient chunk (8 images per chunk); one image of one pixel, where every tap but the centre
    // reads the zero border. Even sizes take Winograd's tiles: F(4x4, 3x3)'s where the sides are multiples of 4 and
    // hold 8 tiles or more (32x32, 16x16: whole register blocks; 12x20: 15 tiles, which are not), F(2x2, 3x3)'s
    // elsewhere (14x14: 49 tiles, 6x10: 15, 8x8 and 4x8: too few 4x4 tiles, a single 2x2 tile); weight-gradient chunks
    // of 8 images (17 and 11 images: two chunks and a short one); 64 channels in or out (even sizes only) at ResNet-56's
    // 8x8 and at sizes that do not fill a group.
    [Theory]
    [InlineData(16, 16, 8, 8, 17)]
    [InlineData(16, 16, 32, 32, 3)]
    [InlineData(16, 32, 14, 14, 5)]
    [InlineData(32, 16, 14, 14, 2)]
    [InlineData(32, 32, 6, 10, 3)]
    [InlineData(16, 16, 2, 2, 2)]
    [InlineData(16, 32, 7, 29, 9)]
    [InlineData(32, 16, 13, 8, 17)]
    [InlineData(32, 32, 16, 16, 8)]
    [InlineData(16, 16, 1, 1, 1)]
    [InlineData(32, 32, 12, 20, 11)]
    [InlineData(16, 16, 4, 8, 2)]
    [InlineData(64, 64, 16, 16, 2)]
    [InlineData(64, 64, 8, 8, 17)]
    [InlineData(64, 32, 6, 4, 3)]
    [InlineData(16, 64, 10, 2, 9)]
    public void Forward_and_both_gradients_match_float64(int inChannels, int outChannels, int height, int width, int batch)
    {
        var shape = new ConvolutionShape(new ConvolutionConfig(inChannels, outChannels, 3, 1, 1, InputGradient: true), height, width);
        Assert.Equal(Wide, DirectConvolution.Handles(shape));
        if (!Wide) return;

        var check = ConvolutionSelfCheck.Measure(shape, ConvolutionKernel.Direct, batch);

        Assert.True(check.Passed, $"{check.Shape} ({CpuIsa.Description}): {check.Failure}");
        Assert.InRange(check.WeightGradientError, 1e-9, ConvolutionCheck.Tolerance); // float32 rounding, so not some other kernel's float64
    }

    [Fact]
    public void The_routing_chooses_them_for_3x3_layers_of_16_or_32_channels_and_of_64_on_even_sizes_in_float32_only()
    {
        var layer = new ConvolutionConfig(16, 16, 3, 1, 1, InputGradient: true);
        var own = Wide ? ConvolutionKernel.Direct : ConvolutionKernel.OneDnnChannelsLast;
        ConvolutionKernel At(ConvolutionConfig config, int height, int width) =>
            ConvolutionRouting.KernelFor(new ConvolutionShape(config, height, width));
        Assert.Equal(own, At(layer, 32, 32));
        Assert.Equal(own, At(layer, 7, 7));
        Assert.Equal(own, At(layer with { InChannels = 32, OutChannels = 32, InputGradient = false }, 15, 16));
        Assert.Equal(own, At(layer with { InChannels = 64, OutChannels = 64 }, 8, 8));
        Assert.Equal(own, At(layer with { InChannels = 32, OutChannels = 64 }, 14, 6));
        foreach (var other in new[]
                 {
                     layer with { Stride = 2 }, layer with { Kernel = 5, Padding = 2 }, layer with { Padding = 0 },
                     layer with { Precision = Precision.Bf16 }, layer with { InChannels = 3 }, layer with { OutChannels = 128 },
                 })
            Assert.NotEqual(ConvolutionKernel.Direct, At(other, 8, 8));
        // 64 channels on odd sizes would take the direct loops, which are slower there than oneDNN.
        Assert.Equal(ConvolutionKernel.OneDnnChannelsLast, At(layer with { InChannels = 64, OutChannels = 64 }, 7, 7));
        Assert.Equal(ConvolutionKernel.OneDnnChannelsLast, At(layer with { InChannels = 64 }, 8, 9));
        ConvolutionRouting.Policy = ConvolutionPolicy.OneDnnRouted;
        try
        {
            Assert.Equal(ConvolutionKernel.OneDnnChannelsLast, At(layer, 32, 32));
        }
        finally
        {
            ConvolutionRouting.Policy = ConvolutionPolicy.Auto;
        }
    }

    [Fact]
    public void Results_are_the_same_bits_on_one_thread_and_on_two()
    {
        if (!Wide) return;
        using var scope = NewDisposeScope();
        manual_seed(11);
        int threads = get_num_threads();
        try
        {
            // 16x12: F(4x4, 3x3)'s tiles, 12x10: F(2x2, 3x3)'s; 13x9: the direct loops.
            foreach (var (height, width) in new[] { (16, 12), (12, 10), (13, 9) })
            {
                var input = randn(19, height, width, 16).permute(0, 3, 1, 2);
                var weight = randn(32, 16, 3, 3);
                var gradient = randn(19, 32, height, width);
                set_num_threads(1);
                var one = Step(input, weight, gradient);
                set_num_threads(2);
                var two = Step(input, weight, gradient);
                foreach (var (name, x, y) in new[] { "output", "input gradient", "weight gradient" }.Zip(one, two))
                    Assert.True(TensorAssert.Identical(x, y), $"{name} of {height}x{width} images differs between 1 and 2 threads");
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Evaluation_computes_the_training_pass_output_and_training_frees_what_it_kept()
    {
        if (!Wide) return;
        using var scope = NewDisposeScope();
        manual_seed(12);
        var input = randn(3, 9, 9, 16).permute(0, 3, 1, 2).requires_grad_();
        var weight = randn(16, 16, 3, 3).requires_grad_();

        var output = DirectConvolution.Apply(input, weight);
        Assert.True(AutogradNodeMemory.LastReleaseFoundTemplates, "the function's output templates were not released");
        Assert.True(RoutedConvolution.IsChannelsLast(output));
        output.backward([ones_like(output)]);
        Assert.True(AutogradNodeMemory.LastBackwardReleasedSaved, "the function's saved tensors were not released after backward");
        using (no_grad())
            Assert.True(TensorAssert.Identical(output.detach(), DirectConvolution.Apply(input, weight)));
    }

    [Fact]
    public void Tensors_the_kernels_are_not_for_are_refused_before_they_read_memory()
    {
        using var scope = NewDisposeScope();
        var wrongCount = Assert.Throws<ArgumentException>(() => DirectConvolution.Apply(randn(1, 48, 4, 4), randn(48, 48, 3, 3)));
        Assert.Contains("16, 32 or 64 channels", wrongCount.Message);
        Assert.Throws<ArgumentException>(() => DirectConvolution.Apply(randn(1, 64, 5, 4), randn(64, 64, 3, 3)));
        Assert.Throws<ArgumentException>(() => DirectConvolution.Apply(randn(1, 16, 4, 4, dtype: ScalarType.BFloat16), randn(16, 16, 3, 3)));
        Assert.Throws<ArgumentException>(() => DirectConvolution.Apply(randn(1, 32, 4, 4), randn(16, 16, 3, 3)));
    }

    [Fact]
    public void A_graph_differentiated_twice_keeps_what_the_second_pass_reads()
    {
        if (!Wide) return;
        using var scope = NewDisposeScope();
        manual_seed(13);
        var input = randn(2, 6, 6, 16).permute(0, 3, 1, 2).requires_grad_();
        var weight = randn(16, 16, 3, 3).requires_grad_();
        using (AutogradNodeMemory.RetainGraphs())
        {
            var output = DirectConvolution.Apply(input, weight);
            using var loss = output.square().sum();
            var first = autograd.grad([loss], [input, weight], retain_graph: true).Select(g => g.clone()).ToList();
            var second = autograd.grad([loss], [input, weight]);
            Assert.True(TensorAssert.Identical(first[0], second[0]) && TensorAssert.Identical(first[1], second[1]));
        }
        Assert.False(AutogradNodeMemory.GraphsRetained);
    }

    private static Tensor[] Step(Tensor input, Tensor weight, Tensor gradient)
    {
        var x = input.detach().requires_grad_();
        var w = weight.detach().requires_grad_();
        var y = DirectConvolution.Apply(x, w);
        var grads = autograd.grad([y], [x, w], [gradient]);
        return [y.detach(), grads[0], grads[1]];
    }
}
