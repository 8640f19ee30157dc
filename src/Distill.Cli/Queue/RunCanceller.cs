namespace Distill.Cli.Queue;

/// <summary>What `distill cancel` did: pending files moved to cancelled/, and claimed (running) files a worker was asked to stop.</summary>
internal sealed record CancelResult(IReadOnlyList<string> CancelledPending, IReadOnlyList<string> StopRequested)
{
    public bool NothingFound => CancelledPending.Count == 0 && StopRequested.Count == 0;
}

/// <summary>
/// Cancels a pipeline by name: queued files go straight to cancelled/; a claimed one gets a cancel marker that its
/// worker polls, stopping the run after its current step and checkpoint. Pending files go first, so a file a
/// worker claims meanwhile is seen in claimed/ afterwards.
/// </summary>
internal sealed class RunCanceller(QueueLayout layout)
{
    public CancelResult Cancel(string runName, DateTimeOffset now)
    {
        var requests = new CancelRequests(layout);
        _ = requests.MarkerPath(runName); // rejects names that are not a single safe path segment
        var queue = new JobQueue(layout);
        var reason = $"cancelled with `distill cancel {runName}` at {now:u} before it started";
        var pending = QueueLayout.PipelineFiles(layout.Queue)
            .Where(f => QueueFileName.PipelineNameOf(f) == runName)
            .Select(Path.GetFileName)
            .Where(name => queue.CancelPending(name!, reason))
            .ToList();
        var claimed = QueueLayout.PipelineFiles(layout.Claimed)
            .Where(f => QueueFileName.PipelineNameOf(f) == runName)
            .Select(f => Path.GetFileName(f))
            .ToList();
        if (claimed.Count > 0) requests.Request(runName, claimed);
        return new CancelResult(pending!, claimed);
    }
}
