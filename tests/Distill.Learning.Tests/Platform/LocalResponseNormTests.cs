using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

public class LocalResponseNormTests
{
    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static double RelativeError(Tensor actual, Tensor reference)
    {
        double scale = reference.abs().max().item<double>();
        return actual.to(ScalarType.Float64).sub(reference).abs().max().item<double>() / scale;
    }

    [Fact]
    public void Self_check_passes_and_reports_both_results()
    {
        var check = LocalResponseNormSelfCheck.Measure();
        Assert.True(check.Passed, check.Summary);
        Assert.Equal(["input gradient", "output"], check.Errors.Keys.Order());
        Assert.All(check.Errors.Values, e => Assert.InRange(e, 0, LocalResponseNormCheck.Tolerance));
        Assert.Contains("match float64", check.Summary);
    }

    [Theory]
    [InlineData(64, 9, 0.001, 1.0)]
    [InlineData(21, 5, 0.5, 2.0)]
    [InlineData(7, 2, 1.0, 1.0)]
    [InlineData(3, 9, 0.2, 1.5)]
    public void Output_and_input_gradient_match_LibTorch_in_float64(long channels, long size, double alpha, double k)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var x = randn(3, channels, 5, 6).mul_(4);
        var dy = randn(3, channels, 5, 6);
        using var layer = nn.LocalResponseNorm(size, alpha, 0.75, k);
        var x64 = x.to(ScalarType.Float64).requires_grad_();
        var y64 = nn.functional.local_response_norm(x64, size, alpha, 0.75, k);
        var g64 = autograd.grad([y64], [x64], [dy.to(ScalarType.Float64)])[0];
        var x32 = ChannelsLast(x).requires_grad_();
        Assert.True(FusedLocalResponseNorm.Runs(layer, x32));
        var y32 = FusedLocalResponseNorm.Fused(layer, x32);
        var g32 = autograd.grad([y32], [x32], [dy])[0];

        Assert.InRange(RelativeError(y32, y64.detach()), 0, 1e-6);
        Assert.InRange(RelativeError(g32, g64), 0, 1e-5);
        Assert.True(RoutedConvolution.IsChannelsLast(y32));
    }

    [Fact]
    public void Gives_the_same_bits_on_one_and_two_threads()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var layer = nn.LocalResponseNorm(9, 0.001, 0.75, 1.0);
        var x = ChannelsLast(randn(16, 64, 8, 8).mul_(3));
        var dy = ChannelsLast(randn(16, 64, 8, 8));
        (Tensor, Tensor) Run(int threads)
        {
            int before = get_num_threads();
            set_num_threads(threads);
            try
            {
                var input = x.detach().requires_grad_();
                var y = FusedLocalResponseNorm.Fused(layer, input);
                return (y.detach(), autograd.grad([y], [input], [dy])[0]);
            }
            finally
            {
                set_num_threads(before);
            }
        }
        var (y1, g1) = Run(1);
        var (y2, g2) = Run(2);
        Assert.True(TensorAssert.Identical(y1, y2));
        Assert.True(TensorAssert.Identical(g1, g2));
    }

    [Fact]
    public void Other_exponents_layouts_and_types_run_LibTorchs_operations()
    {
        using var scope = NewDisposeScope();
        using var layer = nn.LocalResponseNorm(9, 0.001, 0.75, 1.0);
        using var otherBeta = nn.LocalResponseNorm(9, 0.001, 0.5, 1.0);
        using var tooWide = nn.LocalResponseNorm(LocalResponseNormKernels.MostChannels + 1, 0.001, 0.75, 1.0);
        var nchw = randn(2, 16, 4, 4);
        var nhwc = ChannelsLast(nchw);
        Assert.True(FusedLocalResponseNorm.Runs(layer, nhwc));
        Assert.False(FusedLocalResponseNorm.Runs(layer, nchw));
        Assert.False(FusedLocalResponseNorm.Runs(otherBeta, nhwc));
        Assert.False(FusedLocalResponseNorm.Runs(tooWide, nhwc));
        Assert.False(FusedLocalResponseNorm.Runs(layer, nhwc.to(ScalarType.Float64)));
        // Whichever runs, the layer's result is the same to float32 rounding.
        Assert.InRange(RelativeError(FusedLocalResponseNorm.Apply(layer, nchw), layer.call(nchw).to(ScalarType.Float64)), 0, 1e-6);
    }

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public void AlexNet_trains_through_it_and_frees_what_it_saved(Precision precision)
    {
        if (PrecisionSupport.Unavailable(precision) is not null) return; // bf16 needs bfloat16 instructions (see Bf16SupportTests)
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var model = new AlexNetCifar(3, 32, 32, 10);
        model.Precision = precision;
        var images = randn(4, 3, 32, 32);
        model.train();
        var loss = model.forward(images).square().sum();
        loss.backward();
        Assert.True(AutogradNodeMemory.LastBackwardReleasedSaved);
        var conv1 = model.named_parameters().First(p => p.name.EndsWith("conv1.weight")).parameter.grad!;
        Assert.True(conv1.abs().sum().item<float>() > 0);
        Assert.False(conv1.isnan().any().item<bool>());
    }
}
