using System.Diagnostics;
using Distill.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// The smoke pipeline on a real file system too small for it (a 1.5 MB tmpfs the test mounts as root): the stages that
/// cannot write fail with one line naming the full disk, no temporary file is left anywhere, and after the space grows
/// the same command resumes to exactly a clean run's results. Skipped, visibly, where the test cannot mount.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class FullDiskPipelineTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();
    private string? _mount;

    public void Dispose()
    {
        if (_mount is not null) Run("umount", _mount);
        _temp.Dispose();
    }

    private static int Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    [SkippableFact]
    public void A_full_disk_fails_stages_in_one_line_leaves_no_litter_and_resumes_to_a_clean_runs_bytes()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "needs root on Linux to mount a tmpfs");
        var smoke = Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml");
        var clean = _temp.Combine("clean");
        var (cleanCode, cleanLog) = DistillCli.Run(TimeSpan.FromMinutes(5), "run", smoke, "--runs", clean);
        Assert.True(cleanCode == 0, cleanLog);

        var small = _temp.Combine("small");
        Directory.CreateDirectory(small);
        Skip.If(Run("mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", small) != 0, "cannot mount a tmpfs here");
        _mount = small;

        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(5), "run", smoke, "--runs", small);
        output.WriteLine(log);
        Assert.Equal(1, code);
        var failures = log.Split('\n').Where(l => l.Contains(": failed", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(failures);
        Assert.All(failures, l => Assert.Contains("No space left on device", l));
        Assert.Empty(Directory.EnumerateFiles(small, "*.tmp", SearchOption.AllDirectories));

        Assert.Equal(0, Run("mount", "-o", "remount,size=64m", small));
        var (again, againLog) = DistillCli.Run(TimeSpan.FromMinutes(5), "run", smoke, "--runs", small);
        output.WriteLine(againLog);
        Assert.True(again == 0, againLog);
        Assert.Equal(RunResults.Fingerprint(Path.Combine(clean, "smoke")), RunResults.Fingerprint(Path.Combine(small, "smoke")));
    }
}
