using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static Distill.Learning.Tests.Platform.BatchNormReluHarness;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>
/// The fused batch norm + ReLU kernels (BatchNormRelu) against LibTorch's batch norm, add and ReLU. CI runs these under
/// the CPU's own instruction set and again under ONEDNN_MAX_CPU_ISA=AVX2.
/// </summary>
public sealed class BatchNormReluTests
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void The_self_check_passes_here_and_names_what_it_compared()
    {
        var check = BatchNormReluSelfCheck.Measure();
        Assert.True(check.Passed, check.Summary);
        Assert.Contains("input gradient", check.Errors.Keys);
        Assert.Contains("residual gradient", check.Errors.Keys);
        Assert.Contains("running variance", check.Errors.Keys);
        Assert.Contains("evaluation output", check.Errors.Keys);
        Assert.StartsWith("batch norm + ReLU self-check: the fused kernels match float64 to 1e-4", check.Summary);
    }

    [Fact]
    public void A_failed_check_names_the_first_result_out_of_tolerance()
    {
        var check = new BatchNormReluCheck(new Dictionary<string, double> { ["output"] = 1e-7, ["weight gradient"] = 0.3, ["bias gradient"] = double.NaN }, TimeSpan.Zero);
        Assert.False(check.Passed);
        Assert.Equal("weight gradient (relative error 0.3)", check.Failure);
        Assert.Contains("run on LibTorch's kernels", check.Summary);
    }

    // Channel counts: two 16-channel groups; 16 + 8; 8 + a 5-channel scalar tail; only a scalar tail. Rows: several
    // chunks with a short last one, and fewer rows than one chunk.
    [Theory]
    [InlineData(32, 6, 9, false)]
    [InlineData(24, 6, 9, true)]
    [InlineData(13, 5, 7, true)]
    [InlineData(3, 4, 4, false)]
    [InlineData(16, 2, 3, true)]
    public void Training_and_evaluation_agree_with_LibTorch(long channels, long batch, long size, bool withResidual)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var input = ChannelsLast(randn(batch, channels, size, size).mul_(1.5).add_(0.3));
        var residual = withResidual ? ChannelsLast(randn(batch, channels, size, size)) : null;
        var gradient = randn(batch, channels, size, size);
        var (fused, libTorch) = (Layer(channels), Layer(channels));

        var a = Step(fused, input, residual, gradient, fusedKernels: true);
        var b = Step(libTorch, input, residual, gradient, fusedKernels: false);
        foreach (var (name, x, y) in a.Zip(b, (p, q) => (p.Name, p.Value, q.Value)))
            Assert.True(RelativeError(x, y) <= Tolerance, $"{name}: relative error {RelativeError(x, y):g3}");
        Assert.Equal(libTorch.num_batches_tracked!.item<long>(), fused.num_batches_tracked!.item<long>());
        Assert.True(RelativeError(fused.running_mean!, libTorch.running_mean!) <= Tolerance);
        Assert.True(RelativeError(fused.running_var!, libTorch.running_var!) <= Tolerance);

        fused.eval();
        libTorch.eval();
        using var noGrad = no_grad();
        var evaluated = BatchNormRelu.Fused(fused, input.detach(), residual?.detach());
        var reference = BatchNormRelu.Unfused(libTorch, input.detach(), residual?.detach());
        Assert.True(RelativeError(evaluated, reference) <= Tolerance);
    }

    [Fact]
    public void Results_are_the_same_bits_on_one_thread_and_on_two()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var input = ChannelsLast(randn(16, 24, 12, 12));
        var residual = ChannelsLast(randn(16, 24, 12, 12));
        var gradient = randn(16, 24, 12, 12);
        AssertSameOnOneAndTwoThreads(24, input, residual, gradient);
    }

    [Fact]
    public void What_the_kernels_do_not_cover_runs_LibTorchs_kernels_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var nchw = randn(4, 16, 6, 6); // contiguous NCHW: not channels-last
        using (var first = Layer(16))
        using (var second = Layer(16))
        {
            var viaApply = BatchNormRelu.Apply(first, nchw);
            Assert.True(TensorAssert.Identical(viaApply, BatchNormRelu.Unfused(second, nchw, null)), "NCHW input should run unfused");
        }

        var half = ChannelsLast(randn(4, 16, 6, 6)).to(ScalarType.BFloat16);
        using var layer = Layer(16);
        Assert.Equal(ScalarType.BFloat16, BatchNormRelu.Apply(layer, half).dtype); // bfloat16 keeps its type, fused (AVX-512) or not
    }

    [Fact]
    public void The_memory_TorchSharp_keeps_around_a_custom_function_is_found_and_released()
    {
        Assert.True(BatchNormReluSelfCheck.Passed, BatchNormReluSelfCheck.Report.Summary);
        // AutogradNodeMemory reaches into TorchSharp's private fields; a TorchSharp that renamed them would keep every
        // batch-norm input and gradient of a step alive at once (peak memory 1.7 instead of 0.9 GB on ResNet-56).
        Assert.True(AutogradNodeMemory.FieldsFound, "TorchSharp's AutogradContext._node, ._savedVariables or Node<T>._outputCache is gone");
        using var scope = NewDisposeScope();
        var input = ChannelsLast(randn(4, 16, 6, 6));
        using var layer = Layer(16);
        var output = BatchNormRelu.Apply(layer, input);
        Assert.True(AutogradNodeMemory.LastReleaseFoundTemplates, "the fused function's output templates were not released");
        output.backward([ones_like(output)]);
        Assert.True(AutogradNodeMemory.LastBackwardReleasedSaved, "the fused function's saved tensors were not released after backward");
    }

    [Fact]
    public void A_ResNet_step_agrees_with_the_unfused_model()
    {
        Assert.True(BatchNormReluSelfCheck.Passed, BatchNormReluSelfCheck.Report.Summary);
        using var scope = NewDisposeScope();
        var images = randn(8, 3, 16, 16);
        var (withFused, withoutFused) = (ResNetGradients(images, fused: true), ResNetGradients(images, fused: false));
        foreach (var (name, gradient) in withFused)
            Assert.True(RelativeError(gradient, withoutFused[name]) <= 1e-3, $"{name}: relative error {RelativeError(gradient, withoutFused[name]):g3}");
        Assert.True(BatchNormRelu.Enabled);
    }

    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static double RelativeError(Tensor actual, Tensor reference)
    {
        double scale = reference.abs().max().item<float>();
        double error = actual.sub(reference).abs().max().item<float>();
        return scale > 0 ? error / scale : error;
    }
}
