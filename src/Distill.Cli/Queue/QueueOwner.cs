using System.Diagnostics;
using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>
/// The <c>claimed/&lt;file&gt;.owner</c> sidecar: which process holds a claimed file. A worker killed with
/// SIGKILL leaves its file in claimed/; the next worker sees the owner is gone and puts it back in the queue.
/// </summary>
internal static class QueueOwner
{
    public const string Suffix = ".owner";

    public static void Write(string claimedPath) =>
        AtomicFile.WriteJson(claimedPath + Suffix, RunLock.CurrentProcessOwner());

    public static void Delete(string claimedPath) => File.Delete(claimedPath + Suffix);

    /// <summary>True when the owner is known to be gone: recorded on this host and no such process (or the pid was reused).</summary>
    public static bool IsGone(string claimedPath)
    {
        RunLockOwner? owner;
        try { owner = RunJson.ReadFile<RunLockOwner>(claimedPath + Suffix); }
        catch (RunFormatException) { return false; } // being written right now
        if (owner is null) return false;              // claimed a moment ago, sidecar not yet written
        if (owner.Host != Environment.MachineName) return false; // cannot check another host: leave it alone
        try
        {
            using var process = Process.GetProcessById(owner.Pid);
            if (process.HasExited) return true;
            // A reused pid belongs to a process that started at another time.
            return owner.ProcessStartedAt is { } started
                && Math.Abs((process.StartTime.ToUniversalTime() - started.UtcDateTime).TotalSeconds) > 2;
        }
        catch (ArgumentException) { return true; }
        catch (InvalidOperationException) { return true; }
    }
}
