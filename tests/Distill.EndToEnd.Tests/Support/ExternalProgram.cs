using System.Diagnostics;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>Runs a program the fixtures need (initdb, munged, scontrol ...) to its end; its output, or an exception with its errors.</summary>
public static class ExternalProgram
{
    public static string Run(string program, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1))) throw new InvalidOperationException($"{program} did not finish within a minute");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {errors}{output.Result}");
        return output.Result;
    }

    public static string Run(string program, params string[] arguments) => Run(program, new Dictionary<string, string>(), arguments);
}
