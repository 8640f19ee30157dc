using System.Diagnostics;
using System.Text.Json;

namespace Distill.Runs.Tests;

public class RunLockTests
{
    private static void WriteLock(string path, RunLockOwner owner) =>
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(owner, RunJson.Options));

    [Fact]
    public void Lock_is_exclusive_and_released_on_dispose()
    {
        using var dir = new TempDirectory();
        var run = RunDirectory.Open(dir.Path, "p");

        using (var held = run.AcquireLock())
        {
            Assert.Equal(Environment.ProcessId, held.Owner.Pid);
            Assert.True(File.Exists(run.LockPath));
            var refused = Assert.Throws<RunLockedException>(() => run.AcquireLock());
            Assert.Contains($"pid {Environment.ProcessId}", refused.Message);
            Assert.Equal(Environment.ProcessId, refused.Owner!.Pid);
        }

        Assert.False(File.Exists(run.LockPath));
        using var again = run.AcquireLock();
        Assert.True(File.Exists(run.LockPath));
    }

    [Fact]
    public void Live_owner_is_refused_and_dead_owner_is_recovered()
    {
        if (!File.Exists("/bin/sleep") && !File.Exists("/usr/bin/sleep"))
            throw new InvalidOperationException("This test needs the 'sleep' program to start a real owner process.");
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            WriteLock(lockPath, RunLock.DescribeProcess(child.Id, child.StartTime.ToUniversalTime(), DateTimeOffset.UtcNow));

            var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(lockPath));
            Assert.Contains($"pid {child.Id}", refused.Message);
            Assert.Contains($"host '{Environment.MachineName}'", refused.Message);
            Assert.Contains(lockPath, refused.Message);
            Assert.True(File.Exists(lockPath));

            child.Kill();
            child.WaitForExit();

            var reports = new List<string>();
            using var recovered = RunLock.Acquire(lockPath, reports.Add);
            Assert.Equal(Environment.ProcessId, recovered.Owner.Pid);
            var report = Assert.Single(reports);
            Assert.Contains("stale", report);
            Assert.Contains($"pid {child.Id}", report);
            Assert.Contains("no longer running", report);
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
    }

    [Fact]
    public void Reused_pid_with_another_start_time_counts_as_dead()
    {
        if (!OperatingSystem.IsLinux()) return; // start ticks are a Linux (/proc) notion
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        var me = RunLock.CurrentProcessOwner();
        WriteLock(lockPath, me with { Pid = Environment.ProcessId, ProcessStartTicks = me.ProcessStartTicks!.Value - 1 });

        var reports = new List<string>();
        using var held = RunLock.Acquire(lockPath, reports.Add);
        Assert.Single(reports);
    }

    [Fact]
    public void Owner_on_another_host_is_refused_with_advice()
    {
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        WriteLock(lockPath, new RunLockOwner(4242, "gpu-node-7", DateTimeOffset.UtcNow, null, null));

        var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(lockPath));
        Assert.Contains("pid 4242 on host 'gpu-node-7'", refused.Message);
        Assert.Contains("delete the lock file", refused.Message);
    }

    [Fact]
    public void Unreadable_lock_is_refused_while_young_and_recovered_when_old()
    {
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        File.WriteAllText(lockPath, "");

        Assert.Throws<RunLockedException>(() => RunLock.Acquire(lockPath));

        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-5));
        var reports = new List<string>();
        using var held = RunLock.Acquire(lockPath, reports.Add);
        Assert.Contains("unreadable", Assert.Single(reports));
    }

    [Fact]
    public void Dispose_does_not_delete_a_lock_taken_over_by_someone_else()
    {
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        var held = RunLock.Acquire(lockPath);
        var other = new RunLockOwner(4242, "gpu-node-7", DateTimeOffset.UtcNow, null, null);
        WriteLock(lockPath, other);

        held.Dispose();

        Assert.True(File.Exists(lockPath));
    }
}
