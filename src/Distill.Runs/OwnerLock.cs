using System.Text.Json;

namespace Distill.Runs;

/// <summary>Who holds an <see cref="OwnerLock"/>: shown when another process is refused.</summary>
public sealed record RunLockOwner(int Pid, string Host, DateTimeOffset StartedAt)
{
    /// <summary>The calling process, from now.</summary>
    public static RunLockOwner CurrentProcess() => new(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow);

    public override string ToString() => $"pid {Pid} on host '{Host}' (since {StartedAt:yyyy-MM-dd HH:mm:ss} UTC)";
}

/// <summary>
/// An exclusive lock that dies with its process: the lock file is opened with FileShare.None, which .NET turns into
/// flock(LOCK_EX) on Linux and macOS and a sharing lock on Windows. The kernel drops it when the process ends, however
/// it ends (SIGKILL, crash, power loss), so there is no stale lock to detect and no pid to check.
/// Beside it, <c>&lt;lock&gt;.owner</c> names the holder for messages; it is deleted on release, so one found while
/// taking the lock means the previous holder died holding it. The lock file itself is never deleted: deleting a
/// file others may have open would let two processes lock two different files of the same name.
/// </summary>
/// <remarks>
/// On NFS, Linux emulates flock with byte-range locks (NLM for NFSv3, built into NFSv4), so the lock holds across
/// machines as long as the mount has locking (not <c>nolock</c>, which keeps locks local to each client). A client
/// that loses contact with the server for longer than the lease (90 s by default on NFSv4) loses its lock.
/// </remarks>
public sealed class OwnerLock : IDisposable
{
    public const string OwnerSuffix = ".owner";

    private readonly FileStream _handle;
    private bool _released;

    private OwnerLock(string lockPath, FileStream handle, RunLockOwner owner, RunLockOwner? previousOwner)
    {
        LockPath = lockPath;
        _handle = handle;
        Owner = owner;
        PreviousOwner = previousOwner;
    }

    public string LockPath { get; }

    public RunLockOwner Owner { get; }

    /// <summary>A holder that died without releasing the lock (the kernel released it); null after a clean release.</summary>
    public RunLockOwner? PreviousOwner { get; }

    /// <summary>Takes the lock, or returns null and the current holder (null if it has not written its record yet).</summary>
    public static OwnerLock? TryAcquire(string lockPath, out RunLockOwner? holder)
    {
        lockPath = Path.GetFullPath(lockPath);
        var handle = TryLock(lockPath);
        if (handle is null)
        {
            holder = ReadOwner(lockPath);
            return null;
        }
        holder = null;
        var previous = ReadOwner(lockPath);
        var me = RunLockOwner.CurrentProcess();
        AtomicFile.WriteJson(lockPath + OwnerSuffix, me);
        return new OwnerLock(lockPath, handle, me, previous);
    }

    /// <summary>Whether some process holds the lock right now.</summary>
    public static bool IsHeld(string lockPath)
    {
        using var probe = TryLock(Path.GetFullPath(lockPath));
        return probe is null;
    }

    /// <summary>The holder's record, or null when there is none (or it is being written).</summary>
    public static RunLockOwner? ReadOwner(string lockPath)
    {
        try { return RunJson.ReadFile<RunLockOwner>(lockPath + OwnerSuffix); }
        catch (RunFormatException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>
    /// The locked file, or null if another open file (of any process, this one included) holds a conflicting lock.
    /// Exclusive by default (flock LOCK_EX); <paramref name="shared"/> takes LOCK_SH, which any number of holders share
    /// and an exclusive holder excludes. Without an owner record: for locks whose holders need no names.
    /// </summary>
    public static FileStream? TryLock(string path, bool shared = false)
    {
        RefuseIfLockingIsDisabled();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        try
        {
            return shared
                ? new FileStream(fullPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read)
                : new FileStream(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            return null;
        }
    }

    /// <summary>Deletes the owner record, then lets the kernel release the lock.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        File.Delete(LockPath + OwnerSuffix);
        _handle.Dispose();
    }

    /// <summary>EWOULDBLOCK (11) from flock on Linux, ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows.</summary>
    private static bool IsHeldElsewhere(IOException e) =>
        e is not FileNotFoundException and not DirectoryNotFoundException
        && (e.HResult == 11 || e.HResult == 35 /* macOS */ || (e.HResult & 0xFFFF) is 32 or 33);

    /// <summary>With file locking switched off, FileShare.None locks nothing: refuse rather than let two processes in.</summary>
    private static void RefuseIfLockingIsDisabled()
    {
        var disabled = AppContext.TryGetSwitch("System.IO.DisableFileLocking", out var on) && on
            || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true";
        if (disabled)
            throw new InvalidOperationException(
                "File locking is switched off in this process (DOTNET_SYSTEM_IO_DISABLEFILELOCKING or System.IO.DisableFileLocking), " +
                "so a run directory cannot be protected from a second process. Unset it.");
    }
}
