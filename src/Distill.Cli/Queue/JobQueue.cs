using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>
/// Moves pipeline files through the folders of <see cref="QueueLayout"/>. Claiming is one rename to a fixed
/// name in claimed/: on the same file system it is atomic and fails for all but one of several workers
/// racing for the same file, so a file is never run twice at once. The claimer holds the file's claim lock
/// (<see cref="QueueOwner"/>) from before the rename until the file leaves claimed/, so a claim whose process died is
/// recognisable by its free lock.
/// </summary>
internal sealed class JobQueue(QueueLayout layout)
{
    public QueueLayout Layout { get; } = layout;

    /// <summary>Takes the oldest pending file that <paramref name="eligible"/> accepts (by file name); null if none could be taken.</summary>
    public ClaimedJob? TryClaimNext(Func<string, bool>? eligible = null)
    {
        foreach (var pending in QueueLayout.PipelineFiles(Layout.Queue))
        {
            var name = Path.GetFileName(pending);
            if (eligible is not null && !eligible(name)) continue;
            var job = TryClaim(name);
            if (job is not null) return job;
        }
        return null;
    }

    /// <summary>Claims queue/<paramref name="fileName"/>; null if another worker (or `distill cancel`) took it first.</summary>
    public ClaimedJob? TryClaim(string fileName)
    {
        var target = Path.Combine(Layout.Claimed, fileName);
        var claimedAt = DateTimeOffset.UtcNow;
        var claim = QueueOwner.TryTake(Layout, fileName);
        if (claim is null) return null;
        if (TryMove(Path.Combine(Layout.Queue, fileName), target)) return new ClaimedJob(fileName, target, claimedAt, claim);
        claim.Dispose();
        return null;
    }

    /// <summary>Every stage completed: to done/.</summary>
    public string Complete(ClaimedJob job) => Finish(job, Layout.Done, reason: null);

    /// <summary>Invalid or a stage failed: to failed/, with the reason in a file beside it.</summary>
    public string Fail(ClaimedJob job, string reason) => Finish(job, Layout.Failed, reason);

    /// <summary>Cancelled on request: to cancelled/.</summary>
    public string Cancel(ClaimedJob job, string reason) => Finish(job, Layout.Cancelled, reason);

    /// <summary>Back to the queue (shutdown, or the run directory is busy): the next claim resumes it from its checkpoints.</summary>
    public void Requeue(ClaimedJob job)
    {
        ForceMove(job.Path, Path.Combine(Layout.Queue, job.FileName));
        job.Claim.Dispose();
    }

    /// <summary>Moves a pending file straight to cancelled/; false if a worker claimed it meanwhile.</summary>
    public bool CancelPending(string fileName, string reason)
    {
        var target = Path.Combine(Layout.Cancelled, fileName);
        if (!TryMove(Path.Combine(Layout.Queue, fileName), target)) return false;
        AtomicFile.WriteAllText(target + QueueLayout.ReasonSuffix, reason + Environment.NewLine);
        return true;
    }

    /// <summary>Puts back files whose claiming worker died without releasing them (SIGKILL, power loss); returns their names.</summary>
    public IReadOnlyList<string> RecoverOrphans()
    {
        var recovered = new List<string>();
        foreach (var claimed in QueueLayout.PipelineFiles(Layout.Claimed))
        {
            var name = Path.GetFileName(claimed);
            using var claim = QueueOwner.TryTake(Layout, name);
            if (claim is null) continue; // its worker is alive
            if (TryMove(claimed, Path.Combine(Layout.Queue, name))) recovered.Add(name);
        }
        return recovered;
    }

    private string Finish(ClaimedJob job, string folder, string? reason)
    {
        var target = ForceMove(job.Path, Path.Combine(folder, job.FileName));
        if (reason is not null) AtomicFile.WriteAllText(target + QueueLayout.ReasonSuffix, reason + Environment.NewLine);
        job.Claim.Dispose();
        return target;
    }

    /// <summary>
    /// One rename(2): the source vanishes atomically, so of several processes moving the same file exactly one
    /// succeeds and the others see it gone (false). (File.Move without overwrite links then unlinks on Unix, which
    /// lets two movers to different folders both "succeed".) An existing target is left alone (false).
    /// </summary>
    private static bool TryMove(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target)) return false;
        try
        {
            File.Move(source, target, overwrite: true);
            return true;
        }
        catch (FileNotFoundException) { return false; }
        catch (DirectoryNotFoundException) when (!File.Exists(source)) { return false; }
    }

    /// <summary>Moves a file we own; a same-named leftover at the target (an earlier submission's result) gets a numbered name.</summary>
    private static string ForceMove(string source, string target)
    {
        for (var n = 1; ; n++)
        {
            var candidate = n == 1 ? target
                : Path.Combine(Path.GetDirectoryName(target)!, $"{Path.GetFileNameWithoutExtension(target)}.{n}{Path.GetExtension(target)}");
            if (TryMove(source, candidate)) return candidate;
            if (!File.Exists(source)) throw new FileNotFoundException($"claimed pipeline file vanished: {source}", source);
        }
    }
}
