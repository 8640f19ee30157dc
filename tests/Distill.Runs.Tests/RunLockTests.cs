using System.Diagnostics;

namespace Distill.Runs.Tests;

public class RunLockTests
{
    [Fact]
    public void Lock_is_exclusive_and_released_on_dispose()
    {
        using var dir = new TempDirectory();
        var run = RunDirectory.Open(dir.Path, "p");

        using (var held = run.AcquireLock())
        {
            Assert.Equal(Environment.ProcessId, held.Owner.Pid);
            Assert.True(File.Exists(run.LockPath + OwnerLock.OwnerSuffix));
            var refused = Assert.Throws<RunLockedException>(() => run.AcquireLock());
            Assert.Contains($"pid {Environment.ProcessId}", refused.Message);
            Assert.Equal(Environment.ProcessId, refused.Owner!.Pid);
        }

        Assert.False(File.Exists(run.LockPath + OwnerLock.OwnerSuffix), "a clean release removes the owner record");
        var reports = new List<string>();
        using var again = RunLock.Acquire(run.LockPath, reports.Add);
        Assert.Empty(reports);
    }

    /// <summary>A real second process holds the lock (util-linux flock(1), the same flock(2) .NET uses), then is killed.</summary>
    [SkippableFact]
    public void Lock_of_another_process_is_refused_and_dies_with_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "flock(1) is util-linux; other systems lock through their own calls");
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", lockPath, "sleep", "60"]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start flock(1); util-linux provides it");
        try
        {
            WaitUntil(() => OwnerLock.IsHeld(lockPath), "flock(1) to take the lock");
            var record = new RunLockOwner(holder.Id, "gpu-node-7", DateTimeOffset.UtcNow);
            AtomicFile.WriteJson(lockPath + OwnerLock.OwnerSuffix, record);

            var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(lockPath));
            Assert.Contains($"pid {holder.Id} on host 'gpu-node-7'", refused.Message);
            Assert.Contains(lockPath, refused.Message);
            Assert.Equal(record, refused.Owner);

            holder.Kill(entireProcessTree: true); // SIGKILL: nothing of the holder's runs after this
            holder.WaitForExit();
            WaitUntil(() => !OwnerLock.IsHeld(lockPath), "the kernel to release the lock of the killed process");

            var reports = new List<string>();
            using var taken = RunLock.Acquire(lockPath, reports.Add);
            Assert.Equal(Environment.ProcessId, taken.Owner.Pid);
            var report = Assert.Single(reports);
            Assert.Contains($"from pid {holder.Id}", report);
            Assert.Contains("ended without releasing", report);
            Assert.Equal(Environment.ProcessId, OwnerLock.ReadOwner(lockPath)!.Pid);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Holder_that_has_not_written_its_record_yet_is_refused_with_advice()
    {
        using var dir = new TempDirectory();
        var lockPath = dir.File("run.lock");
        using var first = OwnerLock.TryAcquire(lockPath, out _)!;
        File.Delete(lockPath + OwnerLock.OwnerSuffix); // as between taking the lock and writing the record

        var refused = Assert.Throws<RunLockedException>(() => RunLock.Acquire(lockPath));
        Assert.Null(refused.Owner);
        Assert.Contains("Try again in a few seconds", refused.Message);
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 20 s for {what}");
            Thread.Sleep(20);
        }
    }
}
