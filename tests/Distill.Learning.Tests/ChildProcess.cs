using System.Diagnostics;

namespace Distill.Learning.Tests;

/// <summary>Runs a program to its end with both output streams collected (the PyTorch twins, the heap canary's child test run).</summary>
internal static class ChildProcess
{
    public sealed record Outcome(int ExitCode, string Output, string Errors);

    public static Outcome Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        // Both streams at once: a child that fills one pipe while we wait on the other would never end.
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new Outcome(process.ExitCode, output, errors.Result);
    }
}
