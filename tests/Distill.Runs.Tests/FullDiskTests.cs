using System.Diagnostics;

namespace Distill.Runs.Tests;

/// <summary>
/// Atomic writes on a real small file system (a tmpfs mounted by the test, which runs as root): a write that does not
/// fit fails with a permanent fault, leaves no temporary file and keeps the old target; a read-only mount likewise.
/// Skipped, visibly, where the test cannot mount.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("distill-fulldisk-").FullName;
    private bool _mounted;

    private void Mount(string options)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "needs root on Linux to mount a tmpfs");
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", _mount);
        Skip.If(code != 0, $"cannot mount a tmpfs here: {error}");
        _mounted = true;
    }

    public void Dispose()
    {
        if (_mounted) Run("umount", _mount);
        try { Directory.Delete(_mount, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Error) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }

    [SkippableFact]
    public void A_write_that_does_not_fit_fails_for_good_and_leaves_only_the_old_target()
    {
        Mount("size=64k");
        var target = Path.Combine(_mount, "manifest.json");
        AtomicFile.WriteAllText(target, "old");

        var error = Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(target, new byte[256 * 1024]));

        Assert.True(IoFaults.IsPermanent(error), $"HResult {error.HResult}: {error.Message}");
        Assert.Contains("No space left on device", error.Message);
        Assert.Equal(["manifest.json"], Directory.GetFiles(_mount).Select(Path.GetFileName));
        Assert.Equal("old", File.ReadAllText(target));
    }

    [SkippableFact]
    public void A_streamed_write_that_runs_out_of_space_removes_its_temporary_file()
    {
        Mount("size=64k");
        var target = Path.Combine(_mount, "logits-train.npy");

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteStream(target, s => { for (int i = 0; i < 64; i++) s.Write(new byte[4096]); }));

        Assert.Empty(Directory.GetFiles(_mount));
    }

    [SkippableFact]
    public void A_read_only_file_system_is_a_permanent_fault()
    {
        Mount("size=64k,ro");

        var error = Assert.ThrowsAny<Exception>(() => AtomicFile.WriteAllText(Path.Combine(_mount, "x.json"), "{}"));

        Assert.True(IoFaults.IsPermanent(error), $"{error.GetType().Name} HResult {error.HResult}: {error.Message}");
    }

    [Fact]
    public void Transient_faults_are_not_permanent()
    {
        Assert.False(IoFaults.IsPermanent(new IOException("the network mount went away", 5 /* EIO */)));
        Assert.False(IoFaults.IsPermanent(new InvalidDataException("bad")));
        Assert.True(IoFaults.IsPermanent(new UnauthorizedAccessException("no")));
    }
}
