namespace Distill.Runs;

/// <summary>The run directory is owned by another live process.</summary>
public sealed class RunLockedException(string lockPath, RunLockOwner? owner, string message) : IOException(message)
{
    public string LockPath { get; } = lockPath;

    public RunLockOwner? Owner { get; } = owner;
}

/// <summary>
/// Exclusive ownership of a run directory by one process, through an <see cref="OwnerLock"/> on <c>run.lock</c>:
/// the kernel releases it when the owner exits, however it exits, so a killed worker never blocks the next one.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly OwnerLock _lock;

    private RunLock(OwnerLock held) => _lock = held;

    public string LockPath => _lock.LockPath;

    public RunLockOwner Owner => _lock.Owner;

    /// <summary>
    /// Takes the lock at <paramref name="lockPath"/>. Throws <see cref="RunLockedException"/> naming the owner's pid and
    /// host if another process holds it. Taking over from an owner that died holding it is reported to <paramref name="report"/>.
    /// </summary>
    public static RunLock Acquire(string lockPath, Action<string>? report = null)
    {
        var held = OwnerLock.TryAcquire(lockPath, out var owner);
        if (held is null)
        {
            var full = Path.GetFullPath(lockPath);
            throw new RunLockedException(full, owner, owner is null
                ? $"Run directory is in use by another process that is starting right now: lock file '{full}'. Try again in a few seconds."
                : owner.Host == Environment.MachineName
                    ? $"Run directory is in use by {owner}: lock file '{full}'. Wait for that worker to finish or stop it (kill {owner.Pid})."
                    : $"Run directory is in use by {owner}: lock file '{full}'. Wait for that worker to finish or stop it there.");
        }
        if (held.PreviousOwner is { } previous)
            report?.Invoke($"Took over '{held.LockPath}' from {previous}, which ended without releasing the run (the system released its lock).");
        return new RunLock(held);
    }

    public void Dispose() => _lock.Dispose();
}
