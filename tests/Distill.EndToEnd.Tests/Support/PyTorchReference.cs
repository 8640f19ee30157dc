using System.Diagnostics;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// tools/pytorch-reference/interop.py run by Debian's python3 with python3-torch (tools/setup.sh --tests installs it). A
/// missing PyTorch fails the test with that advice: these tests are the only proof that the formats round-trip.
/// </summary>
public static class PyTorchReference
{
    public const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(DistillCli.RepositoryRoot, "tools", "pytorch-reference", "interop.py");

    /// <summary>Runs interop.py with <paramref name="arguments"/>; fails the test unless it exits 0. Returns its output.</summary>
    public static string Run(params string[] arguments)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Script);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "interop.py did not finish within 3 minutes");
        Assert.True(process.ExitCode == 0,
            $"interop.py {string.Join(' ', arguments)} failed ({process.ExitCode}); it needs Debian's python3-torch and python3-numpy (tools/setup.sh --tests installs them):\n{errors}");
        return output.Result;
    }
}
