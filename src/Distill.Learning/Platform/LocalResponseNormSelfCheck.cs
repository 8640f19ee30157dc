using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>How far the fused local response norm (<see cref="FusedLocalResponseNorm"/>) is from LibTorch's in float64.</summary>
/// <param name="Errors">Each result's largest error relative to its largest reference value ("output", "input gradient").</param>
public sealed record LocalResponseNormCheck(IReadOnlyDictionary<string, double> Errors, TimeSpan Elapsed)
{
    /// <summary>The convolution self-check's float32 tolerance (<see cref="ConvolutionCheck.Tolerance"/>).</summary>
    public const double Tolerance = ConvolutionCheck.Tolerance;

    public bool Passed => Failure is null;

    /// <summary>The first result out of tolerance, as "input gradient (relative error 0.45)"; null when all pass.</summary>
    public string? Failure => Errors.Where(e => !(e.Value <= Tolerance)).Select(e => $"{e.Key} (relative error {Format(e.Value)})").FirstOrDefault();

    public string Summary => Passed
        ? $"local response norm self-check: the fused kernels match float64 to {Tolerance.ToString("0e0", CultureInfo.InvariantCulture)} " +
          $"(largest relative error {Format(Errors.Values.Max())}: output and input gradient) in {Elapsed.TotalMilliseconds:0} ms"
        : $"local response norm self-check: the fused kernels compute a wrong {Failure} on this machine; local response norm runs on " +
          "LibTorch's operations";

    private static string Format(double value) => value.ToString("g2", CultureInfo.InvariantCulture);
}

/// <summary>
/// Checks the fused local response norm once per process, before its first use, against LibTorch's
/// local_response_norm in float64: output and input gradient, for the paper's AlexNet layer (window 9 over 64
/// channels: the vector loops) and an even window over 13 channels (the scalar tail and the asymmetric window),
/// over more than one chunk of rows. Should it fail, every layer runs LibTorch's operations instead. Uses its own
/// random generator.
/// </summary>
public static class LocalResponseNormSelfCheck
{
    private static readonly Lazy<LocalResponseNormCheck> Outcome = new(Measure);

    /// <summary>Whether the fused kernels may run (checking them on first call).</summary>
    public static bool Passed => Outcome.Value.Passed;

    /// <summary>Whether the check has run in this process.</summary>
    public static bool HasRun => Outcome.IsValueCreated;

    /// <summary>The check's outcome (running it on first call).</summary>
    public static LocalResponseNormCheck Report => Outcome.Value;

    /// <summary>Runs the comparison now, whatever an earlier one found.</summary>
    public static LocalResponseNormCheck Measure()
    {
        var clock = Stopwatch.StartNew();
        var errors = new Dictionary<string, double>();
        using var scope = NewDisposeScope();
        var generator = new Generator(0x12e);
        foreach (var (channels, size, alpha, k) in new[] { (64L, 9L, 0.001, 1.0), (13L, 4L, 0.3, 2.0) })
        foreach (var (name, error) in Compare(channels, size, alpha, k, generator))
            errors[name] = Math.Max(errors.GetValueOrDefault(name), double.IsNaN(error) ? double.PositiveInfinity : error);
        return new LocalResponseNormCheck(errors, clock.Elapsed);
    }

    /// <summary>One layer on batch 4 of 8 x 9 (288 rows: more than one chunk at these widths), float32 values.</summary>
    private static List<(string, double)> Compare(long channels, long size, double alpha, double k, Generator generator)
    {
        long[] shape = [4, channels, 8, 9];
        // Values float32 holds exactly, so that the float64 reference sees what the kernels see; large enough that
        // the window sums matter against k.
        var x = randn(shape, ScalarType.Float64, generator: generator).mul_(3).to(ScalarType.Float32).to(ScalarType.Float64);
        var gradOutput = randn(shape, ScalarType.Float64, generator: generator).to(ScalarType.Float32).to(ScalarType.Float64);
        using var candidate = nn.LocalResponseNorm(size, alpha, LocalResponseNormKernels.Beta, k);
        var x64 = x.detach().requires_grad_();
        var x32 = x.permute(0, 2, 3, 1).to(ScalarType.Float32).contiguous().permute(0, 3, 1, 2).requires_grad_();
        using (enable_grad())
        {
            var y64 = nn.functional.local_response_norm(x64, size, alpha, LocalResponseNormKernels.Beta, k);
            var y32 = FusedLocalResponseNorm.Fused(candidate, x32);
            var g64 = autograd.grad([y64], [x64], [gradOutput])[0];
            var g32 = autograd.grad([y32], [x32], [gradOutput.to(ScalarType.Float32)])[0];
            return [("output", SelfCheckError.Relative(y32, y64)), ("input gradient", SelfCheckError.Relative(g32, g64))];
        }
    }
}
