using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>
/// The claim lock of a queued file: <c>queue/locks/&lt;file&gt;.lock</c>, an <see cref="OwnerLock"/> held by the worker
/// running it. A worker killed with SIGKILL loses it with its process, and the next worker puts the file back.
/// </summary>
internal static class QueueOwner
{
    public static string LockPathFor(QueueLayout layout, string fileName) => Path.Combine(layout.ClaimLocks, fileName + ".lock");

    /// <summary>Takes the claim lock of <paramref name="fileName"/>; null if another process holds it.</summary>
    public static OwnerLock? TryTake(QueueLayout layout, string fileName) => OwnerLock.TryAcquire(LockPathFor(layout, fileName), out _);
}
