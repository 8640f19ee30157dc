using System.Diagnostics;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>Runs a program the fixtures need (initdb, munged, scontrol ...) to its end; its output, or an exception with its errors.</summary>
public static class ExternalProgram
{
    public static string Run(string program, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Run(program, environment, TimeSpan.FromMinutes(1), "/", arguments);

    /// <summary>Runs with a time limit of its own, in <paramref name="workingDirectory"/>.</summary>
    public static string Run(string program, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(timeout)) throw new InvalidOperationException($"{program} did not finish within {timeout}");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {errors}{output.Result}");
        return output.Result;
    }

    public static string Run(string program, params string[] arguments) => Run(program, new Dictionary<string, string>(), arguments);
}
