using System.Diagnostics;
using System.Globalization;

namespace Distill.Benchmarks;

/// <summary>
/// This CPU's multiply-add peak on some threads, fp32 and bf16, in GFLOP/s: Native/fma-peak.c, compiled with the
/// system C compiler (tools/setup.sh installs gcc) and run in its own process. Null where no compiler is found.
/// </summary>
internal sealed record MachinePeak(double Fp32, double? Bf16)
{
    public static MachinePeak? Measure(int threads)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Native", "fma-peak.c");
        var binary = Path.Combine(Path.GetTempPath(), $"distill-fma-peak-{Environment.ProcessId}");
        try
        {
            if (Run("cc", "-O3", "-pthread", source, "-o", binary) is null) return null;
            var lines = Run(binary, threads.ToString(CultureInfo.InvariantCulture), "1.0")?.Split('\n');
            double? Figure(string precision) => lines?.FirstOrDefault(l => l.StartsWith(precision + " ", StringComparison.Ordinal)) is { } line
                && double.TryParse(line[(precision.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
            return Figure("fp32") is { } fp32 ? new MachinePeak(fp32, Figure("bf16")) : null;
        }
        finally
        {
            File.Delete(binary);
        }
    }

    /// <summary>The GFLOP/s a side's precision can reach at most: the bf16 peak for bf16 work, else fp32's.</summary>
    public double? For(bool bf16) => bf16 ? Bf16 : Fp32;

    private static string? Run(string program, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is null) return null;
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = errors.Result;
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no such program
        }
    }
}
