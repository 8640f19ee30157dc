using Distill.Pipelines;
using Distill.Stages.Engine;
using Hangfire;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Distill.Cli.Cluster;

/// <summary>
/// Which stages of a submission may start: every stage whose inputs have all completed in this submission, enqueued
/// once. Two sets per submission in Hangfire's storage record what was enqueued and what completed; a distributed lock
/// makes "check, enqueue, record" one step, so two stages finishing at once never enqueue their dependant twice.
/// </summary>
public static class ReadyStages
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A PostgreSQL restarted or unreachable for a while: keep trying (about two minutes in all) rather than lose the
    /// news that a stage completed. Retrying is safe: the sets make a repeated step enqueue nothing twice.
    /// </summary>
    public static readonly ResiliencePipeline Reconnecting = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>().Handle<System.Net.Sockets.SocketException>()
                .Handle<TimeoutException>().Handle<InvalidOperationException>(e => e.InnerException is NpgsqlException),
            MaxRetryAttempts = 20,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(10),
            UseJitter = true,
        })
        .Build();

    public static string EnqueuedSet(string submission) => $"distill:enqueued:{submission}";

    public static string CompletedSet(string submission) => $"distill:completed:{submission}";

    /// <summary>Enqueues a <see cref="StageJobs"/> job for a stage of a submission.</summary>
    public static Action<string> StageJob(IBackgroundJobClient client, string submission) =>
        id => client.Enqueue<StageJobs>(jobs => jobs.Run(submission, id, JobCancellationToken.Null));

    /// <summary>Enqueues the stages without inputs (a new submission).</summary>
    public static IReadOnlyList<string> Start(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline) =>
        EnqueueReady(storage, enqueue, submission, pipeline, completed: null);

    /// <summary>Records <paramref name="stageId"/> as completed and enqueues the stages that were waiting only for it.</summary>
    public static IReadOnlyList<string> Completed(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline, string stageId) =>
        EnqueueReady(storage, enqueue, submission, pipeline, completed: stageId);

    private static IReadOnlyList<string> EnqueueReady(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline, string? completed) =>
        Reconnecting.Execute(() => EnqueueReadyOnce(storage, enqueue, submission, pipeline, completed));

    private static IReadOnlyList<string> EnqueueReadyOnce(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline, string? completed)
    {
        using var connection = storage.GetConnection();
        using var held = connection.AcquireDistributedLock($"distill:submission:{submission}", LockTimeout);
        if (connection.GetAllItemsFromSet(ClusterCancellation.CancelledSet).Contains(submission)) return [];
        var enqueued = connection.GetAllItemsFromSet(EnqueuedSet(submission));
        var done = connection.GetAllItemsFromSet(CompletedSet(submission));
        if (completed is not null) done.Add(completed);
        // The engine's one scheduler decides; a stage that failed stays enqueued and never completes, so its dependants wait.
        var schedule = new DagSchedule(pipeline.Stages);
        foreach (var id in done) schedule.Ended(id, StageRunStatus.Completed);
        foreach (var id in enqueued) schedule.Started(id);
        var ready = schedule.Next(stopping: false).Where(d => d.Action == ScheduleAction.Start).Select(d => d.Stage.Id).ToList();
        foreach (var id in ready) enqueue(id);
        using var transaction = connection.CreateWriteTransaction();
        if (completed is not null) transaction.AddToSet(CompletedSet(submission), completed);
        foreach (var id in ready) transaction.AddToSet(EnqueuedSet(submission), id);
        transaction.Commit();
        return ready;
    }
}
