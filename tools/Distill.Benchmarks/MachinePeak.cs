using System.Globalization;

namespace Distill.Benchmarks;

/// <summary>
/// This CPU's multiply-add peak on some threads, fp32 and bf16, in GFLOP/s: Native/fma-peak.c, compiled with the
/// system C compiler and run in its own process (<see cref="NativeProbe"/>). Null where no compiler is found.
/// </summary>
internal sealed record MachinePeak(double Fp32, double? Bf16)
{
    public static MachinePeak? Measure(int threads)
    {
        using var probe = NativeProbe.Compile("fma-peak.c", "-O3", "-pthread");
        var figures = probe?.Figures(null, threads.ToString(CultureInfo.InvariantCulture), "1.0");
        if (figures is null || !figures.TryGetValue("fp32", out var fp32)) return null;
        return new MachinePeak(fp32, figures.TryGetValue("bf16", out var bf16) ? bf16 : null);
    }

    /// <summary>The GFLOP/s a side's precision can reach at most: the bf16 peak for bf16 work, else fp32's.</summary>
    public double? For(bool bf16) => bf16 ? Bf16 : Fp32;
}
