using Distill.Pipelines;
using Hangfire;

namespace Distill.Cli.Cluster;

/// <summary>
/// Which stages of a submission may start: every stage whose inputs have all completed in this submission, enqueued
/// once. Two sets per submission in Hangfire's storage record what was enqueued and what completed; a distributed lock
/// makes "check, enqueue, record" one step, so two stages finishing at once never enqueue their dependant twice.
/// </summary>
public static class ReadyStages
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(1);

    public static string EnqueuedSet(string submission) => $"distill:enqueued:{submission}";

    public static string CompletedSet(string submission) => $"distill:completed:{submission}";

    /// <summary>Enqueues the stages without inputs (a new submission).</summary>
    public static IReadOnlyList<string> Start(JobStorage storage, IBackgroundJobClient client, string submission, PipelineDefinition pipeline) =>
        EnqueueReady(storage, client, submission, pipeline, completed: null);

    /// <summary>Records <paramref name="stageId"/> as completed and enqueues the stages that were waiting only for it.</summary>
    public static IReadOnlyList<string> Completed(JobStorage storage, IBackgroundJobClient client, string submission, PipelineDefinition pipeline, string stageId) =>
        EnqueueReady(storage, client, submission, pipeline, completed: stageId);

    private static IReadOnlyList<string> EnqueueReady(JobStorage storage, IBackgroundJobClient client, string submission, PipelineDefinition pipeline, string? completed)
    {
        using var connection = storage.GetConnection();
        using var held = connection.AcquireDistributedLock($"distill:submission:{submission}", LockTimeout);
        var enqueued = connection.GetAllItemsFromSet(EnqueuedSet(submission));
        var done = connection.GetAllItemsFromSet(CompletedSet(submission));
        if (completed is not null) done.Add(completed);
        var ready = pipeline.Stages.Where(s => !enqueued.Contains(s.Id) && s.Dependencies.All(done.Contains)).Select(s => s.Id).ToList();
        foreach (var id in ready) client.Enqueue<StageJobs>(jobs => jobs.Run(submission, id, JobCancellationToken.Null));
        using var transaction = connection.CreateWriteTransaction();
        if (completed is not null) transaction.AddToSet(CompletedSet(submission), completed);
        foreach (var id in ready) transaction.AddToSet(EnqueuedSet(submission), id);
        transaction.Commit();
        return ready;
    }
}
