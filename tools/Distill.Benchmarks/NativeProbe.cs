using System.Diagnostics;
using System.Globalization;

namespace Distill.Benchmarks;

/// <summary>
/// A C program under Native/ compiled with the system C compiler (tools/setup.sh installs gcc) into a temporary
/// binary, run in its own process, and read as "name value" lines. Null where no compiler is found or the program fails.
/// </summary>
internal sealed class NativeProbe : IDisposable
{
    private readonly string _binary;

    private NativeProbe(string binary) => _binary = binary;

    /// <summary>Compiles Native/<paramref name="source"/> with the flags given; null when that fails.</summary>
    public static NativeProbe? Compile(string source, params string[] flags)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Native", source);
        var binary = Path.Combine(Path.GetTempPath(), $"distill-{Path.GetFileNameWithoutExtension(source)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        return Run("cc", [.. flags, path, "-o", binary, "-lm"], null) is null ? null : new NativeProbe(binary);
    }

    /// <summary>The program's figures by name, or null when it fails; environment variables set for its process only.</summary>
    public IReadOnlyDictionary<string, double>? Figures(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var output = Run(_binary, arguments, environment);
        if (output is null) return null;
        var figures = new Dictionary<string, double>();
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                figures[parts[0]] = value;
        }
        return figures;
    }

    public void Dispose() => File.Delete(_binary);

    private static string? Run(string program, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        try
        {
            var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
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
