using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static Distill.Learning.Tests.Platform.BatchNormReluHarness;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>
/// The fused batch norm + ReLU kernels on bfloat16 activations (BatchNormReluBf16Kernels), against LibTorch's batch
/// norm, add and ReLU in float64 on the same bfloat16 values. They need AVX-512: under ONEDNN_MAX_CPU_ISA=AVX2 with
/// DOTNET_EnableAVX512=0 (CI's second pass) the tests check that bfloat16 layers stay on LibTorch instead.
/// </summary>
public sealed class BatchNormReluBf16Tests
{
    private static readonly bool Supported = BatchNormReluBf16Kernels.Supported;

    [Fact]
    public void The_bf16_self_check_passes_where_the_kernels_run_and_is_absent_elsewhere()
    {
        if (!Supported)
        {
            Assert.Null(BatchNormReluSelfCheck.ReportBf16);
            Assert.False(BatchNormReluSelfCheck.PassedBf16);
            Assert.Throws<InvalidOperationException>(() => BatchNormReluSelfCheck.Measure(Precision.Bf16));
            return;
        }
        var check = BatchNormReluSelfCheck.Measure(Precision.Bf16);
        Assert.True(check.Passed, check.Summary);
        Assert.Contains("residual gradient", check.Errors.Keys);
        Assert.Contains("evaluation output", check.Errors.Keys);
        Assert.StartsWith("batch norm + ReLU self-check on bfloat16 activations: the fused kernels match float64 to 2^-7", check.Summary);
        // Rounding to bfloat16 shows: a check that found float32's errors would not be checking bfloat16 at all.
        Assert.True(check.Errors["output"] > 1e-4, $"output error {check.Errors["output"]:g3}");
    }

    [Fact]
    public void Values_round_to_the_nearest_bfloat16_as_LibTorch_rounds_them()
    {
        if (!Supported) return;
        using var scope = NewDisposeScope();
        manual_seed(1);
        // Ties to even either way (1 + 2^-8 down, 1 + 3 * 2^-8 up), the largest finite values, infinities, NaN, zeros, subnormals.
        float[] special = [1f + 1f / 256, 1f + 3f / 256, -1f - 1f / 256, float.MaxValue, -float.MaxValue, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, 0f, -0f, 1e-40f, -3e-39f, 65504f, 3.3895314e38f];
        var values = cat([tensor(special), randn(98).mul_(1000), randn(16).mul_(1e-30)]);
        Assert.Equal(0, values.shape[0] % 16); // whole vectors: the loop below reads and writes 16 at a time
        var expected = values.to(ScalarType.BFloat16);
        var actual = empty_like(expected);
        unsafe
        {
            float* source = TensorMemory.Float32(values);
            ushort* target = (ushort*)TensorMemory.Address(actual);
            for (int i = 0; i < values.shape[0]; i += 16)
                BatchNormReluBf16Kernels.Store(System.Runtime.Intrinsics.Vector512.Load(source + i), target + i);
            var widened = new float[16];
            fixed (float* w = widened) System.Runtime.Intrinsics.Vector512.Store(BatchNormReluBf16Kernels.Load(target), w);
            for (int i = 0; i < 16; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[i].to(ScalarType.Float32).item<float>()), BitConverter.SingleToInt32Bits(widened[i]));
            // Compared as bits: NaN equals nothing as a number.
            int count = (int)values.shape[0];
            var actualBits = new ReadOnlySpan<ushort>(target, count).ToArray();
            var expectedBits = new ReadOnlySpan<ushort>(TensorMemory.Address(expected), count).ToArray();
            Assert.Equal(expectedBits, actualBits);
        }
    }

    // Channels: one vector; two (one 64-byte line); three (a line, then 16 channels over two rows); four. Rows: several
    // chunks with a short last one, and fewer rows than one chunk.
    [Theory]
    [InlineData(16, 6, 9, false)]
    [InlineData(32, 6, 9, true)]
    [InlineData(48, 5, 7, true)]
    [InlineData(64, 2, 3, false)]
    [InlineData(16, 3, 5, true)]
    public void Training_and_evaluation_agree_with_float64(long channels, long batch, long size, bool withResidual)
    {
        if (!Supported) return;
        using var scope = NewDisposeScope();
        manual_seed(7);
        var input = Bf16(randn(batch, channels, size, size).mul_(1.5).add_(0.3));
        var residual = withResidual ? Bf16(randn(batch, channels, size, size)) : null;
        var gradient = Bf16(randn(batch, channels, size, size));
        var (fused, reference) = (Layer(channels), Layer(channels, ScalarType.Float64));

        var a = Step(fused, input, residual, gradient, fusedKernels: true);
        var b = Step(reference, Wide(input), residual is null ? null : Wide(residual), Wide(gradient), fusedKernels: false);
        Assert.Equal(ScalarType.BFloat16, a[0].Value.dtype);
        foreach (var (name, x, y) in a.Zip(b, (p, q) => (p.Name, p.Value, q.Value)))
            Assert.True(RelativeError(x, y) <= BatchNormReluCheck.Bf16Tolerance, $"{name}: relative error {RelativeError(x, y):g3}");

        fused.eval();
        reference.eval();
        using var noGrad = no_grad();
        var evaluated = BatchNormRelu.Fused(fused, input.detach(), residual?.detach());
        Assert.Equal(ScalarType.BFloat16, evaluated.dtype);
        var expected = BatchNormRelu.Unfused(reference, Wide(input), residual is null ? null : Wide(residual));
        Assert.True(RelativeError(evaluated, expected) <= BatchNormReluCheck.Bf16Tolerance);
    }

    [Fact]
    public void Results_are_the_same_bits_on_one_thread_and_on_two()
    {
        if (!Supported) return;
        using var scope = NewDisposeScope();
        manual_seed(3);
        var input = Bf16(randn(16, 48, 12, 12));
        var residual = Bf16(randn(16, 48, 12, 12));
        var gradient = Bf16(randn(16, 48, 12, 12));
        AssertSameOnOneAndTwoThreads(48, input, residual, gradient);
    }

    [Fact]
    public void Bfloat16_the_kernels_do_not_take_runs_LibTorchs_kernels_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        // 24 channels are not whole vectors of 16; without AVX-512 no bfloat16 layer fuses.
        foreach (long channels in Supported ? new[] { 24L } : [24L, 16L])
        {
            var input = Bf16(randn(4, channels, 6, 6));
            using var first = Layer(channels);
            using var second = Layer(channels);
            var viaApply = BatchNormRelu.Apply(first, input);
            Assert.True(TensorAssert.Identical(viaApply, BatchNormRelu.Unfused(second, input, null)), $"{channels} bfloat16 channels should run unfused");
        }
    }

    [SkippableFact]
    public void A_bf16_ResNet_step_is_as_close_to_float32_as_LibTorchs_bf16_step()
    {
        Skip.If(PrecisionSupport.Unavailable(Precision.Bf16) is not null, PrecisionSupport.Unavailable(Precision.Bf16));
        Skip.IfNot(Supported, "no AVX-512: bfloat16 layers run LibTorch's batch norm");
        Assert.True(BatchNormReluSelfCheck.PassedBf16, BatchNormReluSelfCheck.ReportBf16?.Summary);
        using var scope = NewDisposeScope();
        manual_seed(2);
        var images = randn(8, 3, 16, 16);
        var exact = ResNetGradients(images, fused: true);
        var (fused, libTorch) = (ResNetGradients(images, fused: true, Precision.Bf16), ResNetGradients(images, fused: false, Precision.Bf16));
        // bfloat16 gradients of so small a batch are ~10 % off float32's either way (8 bits at every layer); the fused
        // kernels must not add to that. Medians over the 23 parameters: one parameter may swing either way.
        double Median(Dictionary<string, Tensor> g) => g.Select(p => RelativeError(p.Value, exact[p.Key])).Order().ElementAt(g.Count / 2);
        var (fusedError, libTorchError) = (Median(fused), Median(libTorch));
        Assert.True(fusedError <= 1.5 * libTorchError, $"fused bf16 step {fusedError:g3} from float32, LibTorch's bf16 step {libTorchError:g3}");
        // The fused kernels ran: their rounding differs from LibTorch's.
        Assert.False(fused.All(p => TensorAssert.Identical(p.Value, libTorch[p.Key])), "the fused and unfused bf16 steps agree to the bit: were the kernels used?");
        Assert.True(BatchNormRelu.Enabled);
    }

    /// <summary>Channels-last bfloat16.</summary>
    private static Tensor Bf16(Tensor t) => t.permute(0, 2, 3, 1).to(ScalarType.BFloat16).contiguous().permute(0, 3, 1, 2);

    /// <summary>The same values in float64 (exact).</summary>
    private static Tensor Wide(Tensor t) => t.to(ScalarType.Float64);

    private static double RelativeError(Tensor actual, Tensor reference)
    {
        using var a = actual.detach().to(ScalarType.Float64);
        using var r = reference.detach().to(ScalarType.Float64);
        double scale = r.abs().max().item<double>();
        double error = a.sub(r).abs().max().item<double>();
        return scale > 0 ? error / scale : error;
    }
}
