using Distill.Pipelines;
using Distill.Stages.Engine;
using Hangfire;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Distill.Cli.Cluster;

/// <summary>
/// Which stages of a submission may start, decided by the engine's one scheduler (<see cref="DagSchedule"/>) as in a
/// local run: every stage whose inputs have all completed in this submission is enqueued once; the dependants of a
/// stage that failed are blocked (recorded with the input that failed, for `distill status`), never left waiting.
/// Sets per submission in Hangfire's storage record what was enqueued, completed and failed; a distributed lock makes
/// "check, enqueue, record" one step, so two stages finishing at once never enqueue their dependant twice.
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
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsConnectionFault),
            MaxRetryAttempts = 20,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(10),
            UseJitter = true,
        })
        .Build();

    /// <summary>PostgreSQL restarting or unreachable: a fault that waiting can fix.</summary>
    public static bool IsConnectionFault(Exception e) =>
        e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException
        || e is InvalidOperationException { InnerException: NpgsqlException };

    public static string EnqueuedSet(string submission) => $"distill:enqueued:{submission}";

    public static string CompletedSet(string submission) => $"distill:completed:{submission}";

    public static string FailedSet(string submission) => $"distill:failed:{submission}";

    /// <summary>Every submission's blocked stages: "submission / stage" -> why (the input that did not complete).</summary>
    public const string BlockedHash = "distill:blocked";

    private static string BlockedField(string submission, string stageId) => $"{submission} / {stageId}";

    /// <summary>Enqueues a <see cref="StageJobs"/> job for a stage of a submission.</summary>
    public static Action<string> StageJob(IBackgroundJobClient client, string submission) =>
        id => client.Enqueue<StageJobs>(jobs => jobs.Run(submission, id, JobCancellationToken.Null));

    /// <summary>Enqueues the stages without inputs (a new submission).</summary>
    public static IReadOnlyList<string> Start(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline) =>
        Advance(storage, enqueue, submission, pipeline, ended: null);

    /// <summary>Records <paramref name="stageId"/> as completed and enqueues the stages that were waiting only for it.</summary>
    public static IReadOnlyList<string> Completed(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline, string stageId) =>
        Advance(storage, enqueue, submission, pipeline, ended: (stageId, StageRunStatus.Completed));

    /// <summary>Records <paramref name="stageId"/> as failed and every stage downstream of it as blocked by it.</summary>
    public static IReadOnlyList<string> Failed(JobStorage storage, string submission, PipelineDefinition pipeline, string stageId) =>
        Advance(storage, _ => { }, submission, pipeline, ended: (stageId, StageRunStatus.Failed));

    /// <summary>The blocked stages of every submission: "submission / stage" -> why.</summary>
    public static IReadOnlyDictionary<string, string> Blocked(JobStorage storage) =>
        Reconnecting.Execute(() =>
        {
            using var connection = storage.GetConnection();
            return (IReadOnlyDictionary<string, string>?)connection.GetAllEntriesFromHash(BlockedHash) ?? new Dictionary<string, string>();
        });

    private static IReadOnlyList<string> Advance(JobStorage storage, Action<string> enqueue, string submission, PipelineDefinition pipeline,
        (string Stage, StageRunStatus Status)? ended) =>
        Reconnecting.Execute(() => AdvanceOnce(storage, enqueue, submission, pipeline, ended));

    private static IReadOnlyList<string> AdvanceOnce(JobStorage storage, Action<string> enqueue, string submission,
        PipelineDefinition pipeline, (string Stage, StageRunStatus Status)? ended)
    {
        using var connection = storage.GetConnection();
        using var held = connection.AcquireDistributedLock($"distill:submission:{submission}", LockTimeout);
        if (connection.GetAllItemsFromSet(ClusterCancellation.CancelledSet).Contains(submission)) return [];
        var schedule = new DagSchedule(pipeline.Stages);
        foreach (var id in connection.GetAllItemsFromSet(CompletedSet(submission))) schedule.Ended(id, StageRunStatus.Completed);
        foreach (var id in connection.GetAllItemsFromSet(FailedSet(submission))) schedule.Ended(id, StageRunStatus.Failed);
        var prefix = BlockedField(submission, "");
        IEnumerable<string> blockedBefore = connection.GetAllEntriesFromHash(BlockedHash)?.Keys ?? Enumerable.Empty<string>();
        foreach (var field in blockedBefore.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)))
            schedule.Ended(field[prefix.Length..], StageRunStatus.Blocked);
        foreach (var id in connection.GetAllItemsFromSet(EnqueuedSet(submission))) schedule.Started(id);
        if (ended is { } end) schedule.Ended(end.Stage, end.Status);

        var decisions = schedule.Next(stopping: false);
        var ready = decisions.Where(d => d.Action == ScheduleAction.Start).Select(d => d.Stage.Id).ToList();
        foreach (var id in ready) enqueue(id);
        using var transaction = connection.CreateWriteTransaction();
        if (ended is { } e)
            transaction.AddToSet(e.Status == StageRunStatus.Completed ? CompletedSet(submission) : FailedSet(submission), e.Stage);
        foreach (var id in ready) transaction.AddToSet(EnqueuedSet(submission), id);
        var blocked = decisions.Where(d => d.Action == ScheduleAction.Block).ToList();
        if (blocked.Count > 0)
            transaction.SetRangeInHash(BlockedHash,
                blocked.Select(d => KeyValuePair.Create(BlockedField(submission, d.Stage.Id), d.Reason ?? "blocked")));
        transaction.Commit();
        return ready;
    }
}
