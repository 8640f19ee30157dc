using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>Where bfloat16 cannot run, asking for it fails with one line that names the missing CPU flag.</summary>
public sealed class Bf16SupportTests
{
    private static readonly string[] Avx2 = ["sse4_1", "avx", "avx2", "fma"];
    private static readonly string[] Avx512 = [.. Avx2, "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"];
    private static readonly string[] Avx512Bf16 = [.. Avx512, "avx512_bf16"];
    private static readonly string[] Avx2Vnni2 = [.. Avx2, "avx_vnni", "avx_ne_convert", "avx_vnni_int8"];

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ALL")]
    [InlineData("default")]
    [InlineData("AVX512_CORE_BF16")]
    [InlineData("AVX10_1_512")]
    [InlineData("AVX512_CORE_AMX")]
    public void An_avx512_bf16_CPU_runs_bf16_unless_oneDNN_is_capped_below_it(string? cap) =>
        Assert.Null(CpuIsa.Bf16Missing(Avx512Bf16.ToHashSet(), cap));

    [Theory]
    [InlineData("AVX2")]
    [InlineData("AVX512_CORE")]
    [InlineData("avx512_core_vnni")]
    [InlineData("AVX2_VNNI_2")]
    public void A_cap_below_avx512_core_bf16_names_the_variable_and_the_flag(string cap)
    {
        var reason = CpuIsa.Bf16Missing(Avx512Bf16.ToHashSet(), cap);
        Assert.NotNull(reason);
        Assert.Contains($"ONEDNN_MAX_CPU_ISA={cap}", reason);
        Assert.Contains("avx512_bf16", reason);
    }

    [Fact]
    public void CPUs_without_bfloat16_instructions_are_named_by_the_missing_flag()
    {
        Assert.Contains("no avx512_bf16 flag", CpuIsa.Bf16Missing(Avx2.ToHashSet(), null));
        Assert.Contains("no avx512_bf16 flag", CpuIsa.Bf16Missing(Avx512.ToHashSet(), null));
        Assert.Contains("avx512_bf16", CpuIsa.Bf16Missing(new HashSet<string>(), null));
        // A flag without AVX-512 itself is no avx512_core_bf16.
        Assert.NotNull(CpuIsa.Bf16Missing(new[] { "avx2", "avx512_bf16" }.ToHashSet(), null));
    }

    [Fact]
    public void Avx2_vnni_2_runs_bf16_where_oneDNN_may_use_it()
    {
        Assert.Null(CpuIsa.Bf16Missing(Avx2Vnni2.ToHashSet(), null));
        Assert.Null(CpuIsa.Bf16Missing(Avx2Vnni2.ToHashSet(), "AVX2_VNNI_2"));
        Assert.Contains("avx_ne_convert", CpuIsa.Bf16Missing(Avx2Vnni2.ToHashSet(), "AVX2_VNNI"));
        Assert.Contains("avx_ne_convert", CpuIsa.Bf16Missing(Avx2Vnni2.ToHashSet(), "AVX512_CORE_BF16"));
    }

    /// <summary>
    /// On this machine: where bf16 is missing (an AVX2 CPU, or the test run under ONEDNN_MAX_CPU_ISA=AVX2) the model and
    /// the trainer refuse it with one line; where it is present, both accept it. Either way fp32 is always accepted.
    /// </summary>
    [Fact]
    public void Asking_for_bf16_here_fails_with_one_line_exactly_where_the_CPU_or_the_cap_lacks_it()
    {
        var reason = PrecisionSupport.Unavailable(Precision.Bf16);
        string? cap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
        bool hardware = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ').Contains("avx512_bf16");
        bool capped = cap is not null && !cap.StartsWith("AVX512_CORE_BF16", StringComparison.OrdinalIgnoreCase)
            && !cap.StartsWith("AVX10", StringComparison.OrdinalIgnoreCase) && !cap.Contains("AMX", StringComparison.OrdinalIgnoreCase)
            && !cap.Equals("ALL", StringComparison.OrdinalIgnoreCase) && !cap.Equals("DEFAULT", StringComparison.OrdinalIgnoreCase);
        Assert.Equal(!hardware || capped, reason is not null);

        manual_seed(0);
        using var model = new CifarResNet(8, 1, 10, width: 16);
        model.Precision = Precision.Fp32;
        if (reason is null)
        {
            model.Precision = Precision.Bf16;
            Assert.Equal(Precision.Bf16, model.Precision);
            return;
        }
        var error = Assert.Throws<CpuFeatureMissingException>(() => model.Precision = Precision.Bf16);
        Assert.IsAssignableFrom<PlatformDefectException>(error); // the stage layer's one-line platform failure
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("precision bf16", error.Message);
        Assert.Contains("avx512_bf16", error.Message);
        if (capped) Assert.Contains($"ONEDNN_MAX_CPU_ISA={cap}", error.Message);
        Assert.Equal(Precision.Fp32, model.Precision);

        var batches = new FixedBatches(randn(8, 1, 8, 8), randint(0, 10, [8]));
        var trainerError = Assert.Throws<CpuFeatureMissingException>(() =>
            new Trainer(model, batches, new TrainerOptions { Precision = Precision.Bf16, BatchSize = 8 }, new LabelSmoothingObjective(0)));
        Assert.Equal(error.Message, trainerError.Message);
    }

    private sealed class FixedBatches(Tensor inputs, Tensor labels) : ITrainingBatches
    {
        public int Count => (int)inputs.shape[0];

        public TrainingBatch Make(ReadOnlySpan<long> indices, int epoch) => new(inputs, labels, indices.ToArray());
    }
}
