using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Distill.Runs;

/// <summary>Contents of a lock file: who owns the run directory, since when.</summary>
/// <param name="ProcessStartTicks">
/// Linux only: field 22 of /proc/&lt;pid&gt;/stat (clock ticks after boot). With the pid it identifies the
/// process even after the pid is reused. Null elsewhere, where the start time is compared instead.
/// </param>
public sealed record RunLockOwner(int Pid, string Host, DateTimeOffset StartedAt, DateTimeOffset? ProcessStartedAt, long? ProcessStartTicks)
{
    public override string ToString() => $"pid {Pid} on host '{Host}' (since {StartedAt:yyyy-MM-dd HH:mm:ss} UTC)";
}

/// <summary>The run directory is owned by another live process (or by one on another host that we cannot check).</summary>
public sealed class RunLockedException(string lockPath, RunLockOwner? owner, string message) : IOException(message)
{
    public string LockPath { get; } = lockPath;

    public RunLockOwner? Owner { get; } = owner;
}

/// <summary>
/// Exclusive ownership of a run directory by one process: a lock file created with FileMode.CreateNew holding
/// the owner's pid, host and start time. Released (deleted) on dispose. A lock left by a dead process on this
/// host is recovered with a message to <c>report</c>; a live owner, or one on another host, is refused.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>A lock file this young that cannot be parsed is probably being written by its owner right now.</summary>
    private static readonly TimeSpan UnreadableGrace = TimeSpan.FromSeconds(10);

    private bool _released;

    private RunLock(string path, RunLockOwner owner)
    {
        LockPath = path;
        Owner = owner;
    }

    public string LockPath { get; }

    public RunLockOwner Owner { get; }

    /// <summary>The owner record describing the calling process.</summary>
    public static RunLockOwner CurrentProcessOwner()
    {
        using var self = Process.GetCurrentProcess();
        return DescribeProcess(self.Id, self.StartTime.ToUniversalTime(), DateTimeOffset.UtcNow);
    }

    /// <summary>Owner record for a live process on this host (used for the current process, and by tests for a child).</summary>
    public static RunLockOwner DescribeProcess(int pid, DateTime processStartUtc, DateTimeOffset lockedAt) =>
        new(pid, Environment.MachineName, lockedAt, new DateTimeOffset(processStartUtc, TimeSpan.Zero), ProcessInfo.StartTicks(pid));

    /// <summary>
    /// Takes the lock at <paramref name="lockPath"/>. Throws <see cref="RunLockedException"/> naming the owner's pid and
    /// host if a live process holds it. A stale lock (owner dead on this host) is removed and reported.
    /// </summary>
    public static RunLock Acquire(string lockPath, Action<string>? report = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(lockPath);
        lockPath = Path.GetFullPath(lockPath);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        var me = CurrentProcessOwner();

        // Two rounds: the second follows the removal of a stale lock.
        for (var round = 0; round < 2; round++)
        {
            if (TryCreate(lockPath, me)) return new RunLock(lockPath, me);

            var (owner, unreadable) = ReadOwner(lockPath);
            if (owner is null && !unreadable) continue; // vanished between our attempts: try again
            var staleReason = StaleReason(lockPath, owner);
            if (staleReason is null)
            {
                throw new RunLockedException(lockPath, owner, owner is null
                    ? $"Run directory is locked: '{lockPath}' is being written by another process. Try again in a few seconds."
                    : owner.Host == Environment.MachineName
                        ? $"Run directory is in use by {owner}: lock file '{lockPath}'. Wait for that worker to finish or stop it (kill {owner.Pid})."
                        : $"Run directory is in use by {owner}: lock file '{lockPath}'. That host cannot be checked from here; if no worker runs there any more, delete the lock file.");
            }
            if (RemoveIfUnchanged(lockPath, owner))
                report?.Invoke($"Recovered stale lock '{lockPath}': {staleReason}.");
        }
        throw new RunLockedException(lockPath, null, $"Run directory is locked: '{lockPath}' keeps reappearing; another worker is starting. Try again later.");
    }

    /// <summary>Deletes the lock file if it is still ours.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        var (owner, _) = ReadOwner(LockPath);
        if (owner is not null && owner.Pid == Owner.Pid && owner.Host == Owner.Host && owner.StartedAt == Owner.StartedAt)
            File.Delete(LockPath);
    }

    /// <summary>
    /// Writes the owner record beside the lock, then moves it into place without overwriting (a hard link on
    /// Linux, atomic): a process killed at any moment never leaves a half-written lock file behind.
    /// </summary>
    private static bool TryCreate(string path, RunLockOwner me)
    {
        var temp = AtomicFile.TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(JsonSerializer.SerializeToUtf8Bytes(me, RunJson.Options));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static (RunLockOwner? Owner, bool Unreadable) ReadOwner(string path)
    {
        try { return (RunJson.ReadFile<RunLockOwner>(path), false); }
        catch (RunFormatException) { return (null, true); }
        catch (IOException) { return (null, true); }
    }

    /// <summary>Why the lock may be taken over, or null if its owner is (or may be) alive.</summary>
    private static string? StaleReason(string path, RunLockOwner? owner)
    {
        if (owner is null)
        {
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(path);
            return age > UnreadableGrace ? $"the lock file is unreadable and {age.TotalSeconds:F0} s old (its writer died while creating it)" : null;
        }
        if (owner.Host != Environment.MachineName) return null;
        return ProcessInfo.IsAlive(owner) ? null : $"its owner {owner} is no longer running";
    }

    /// <summary>
    /// Removes the stale lock unless someone replaced it meanwhile: the file is first renamed aside (atomic), then
    /// checked; if it turns out to be a fresh lock of another process, it is put back.
    /// </summary>
    private static bool RemoveIfUnchanged(string path, RunLockOwner? staleOwner)
    {
        var aside = AtomicFile.TempPathFor(path);
        try { File.Move(path, aside); }
        catch (FileNotFoundException) { return false; }

        var (moved, _) = ReadOwner(aside);
        if (moved == staleOwner || (staleOwner is not null && moved is not null && SameOwner(moved, staleOwner)))
        {
            File.Delete(aside);
            return true;
        }
        try { File.Move(aside, path, overwrite: false); }
        catch (IOException) { File.Delete(aside); } // a third process locked meanwhile; the one we moved is superseded
        return false;
    }

    private static bool SameOwner(RunLockOwner a, RunLockOwner b) =>
        a.Pid == b.Pid && a.Host == b.Host && a.StartedAt == b.StartedAt;
}

/// <summary>Whether a process recorded in a lock file still runs on this host.</summary>
internal static class ProcessInfo
{
    /// <summary>Linux: start time in clock ticks after boot (field 22 of /proc/&lt;pid&gt;/stat); null if unavailable.</summary>
    public static long? StartTicks(int pid)
    {
        var stat = ReadStat(pid);
        return stat is { } s ? s.StartTicks : null;
    }

    public static bool IsAlive(RunLockOwner owner)
    {
        if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self"))
        {
            var stat = ReadStat(owner.Pid);
            if (stat is null) return false;                               // no such process
            if (stat.Value.State is 'Z' or 'X') return false;             // exited, not yet reaped
            return owner.ProcessStartTicks is not { } ticks || ticks == stat.Value.StartTicks; // else: pid reused
        }

        try
        {
            using var process = Process.GetProcessById(owner.Pid);
            if (process.HasExited) return false;
            // Another process with a reused pid started at a different time. Tolerance: start times are
            // derived from boot time and may differ by clock rounding; when unsure, say alive (refusing is safe).
            return owner.ProcessStartedAt is not { } started
                || Math.Abs((process.StartTime.ToUniversalTime() - started.UtcDateTime).TotalSeconds) < 2;
        }
        catch (ArgumentException) { return false; }       // no process with that id
        catch (InvalidOperationException) { return false; } // exited while we looked
    }

    private static (char State, long StartTicks)? ReadStat(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat", Encoding.ASCII); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }

        // "pid (comm) state ppid ..." — comm may contain spaces and parentheses, so split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0].Length != 1 || !long.TryParse(fields[19], out var ticks)) return null;
        return (fields[0][0], ticks);
    }
}
