using Distill.Cli.Commands;
using Distill.Cli.Worker;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Engine;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Distill.Cli.Cluster;

/// <summary>A stage that failed for a reason retrying will not change (bad data, divergence): its job fails for good.</summary>
public sealed class StageFailedException(string message) : Exception(message);

/// <summary>
/// The Hangfire job of one stage of one submission: runs it in a process of its own (as `run --jobs` does), then
/// enqueues every stage whose inputs have all completed in this submission. Keys, manifests and checkpoints live on
/// the shared root, so a stage whose worker died is resumed from its checkpoint by whichever worker takes it next.
/// </summary>
/// <param name="storage">Hangfire's storage, as the host registered it (<see cref="ClusterStorage.Create"/>).</param>
public sealed class StageJobs(IOptions<WorkerOptions> options, DevicePool devices, Hangfire.PostgreSql.PostgreSqlStorage storage,
    ILogger<StageJobs> logger)
{
    private static readonly TimeSpan CancelPoll = TimeSpan.FromSeconds(1);

    private readonly WorkerOptions _options = options.Value;

    [Queue(ClusterStorage.Queue)]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public void Run(string submission, string stageId, IJobCancellationToken cancellation)
    {
        var layout = new ClusterLayout(_options.Root);
        if (ClusterCancellation.IsCancelled(storage, submission))
        {
            logger.LogInformation("{Submission}/{Stage}: not started, the run was cancelled", submission, stageId);
            return;
        }
        var pipelinePath = layout.PipelineFile(submission);
        var pipeline = PipelineRunner.Load(pipelinePath);
        // Slots share the cores, unless the pipeline pins its thread count (then keys match a serial run's).
        var request = new RunRequest(pipelinePath, layout.Runs, Threads: CoreShare.ThreadsPerStage(pipeline, _options.EffectiveSlots));
        var observer = new LoggingRunObserver(logger, submission, _options.StepLogInterval);
        // Stop on worker shutdown (the job goes back to the queue) or on `distill cancel` (it ends here).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation.ShutdownToken);
        using var watch = new Timer(_ => WatchForCancel(submission, stop), null, CancelPoll, CancelPoll);
        using var device = devices.Take();
        if (device.Name is { } gpu) logger.LogInformation("{Submission}/{Stage}: on device {Device}", submission, stageId, gpu);
        // The stage process records this worker in its manifests (and the dashboard shows it), not its own pid.
        var environment = new Dictionary<string, string> { [StageManifest.WorkerVariable] = $"{Environment.MachineName}:{Environment.ProcessId}" };
        if (device.Name is { } name) environment["CUDA_VISIBLE_DEVICES"] = name;
        // The stage process takes the stage as resolved here and does not identify the pipeline again.
        StagePointer identity;
        try { identity = PipelineRunner.Resolve(request with { Loaded = pipeline }, stageId); }
        catch (Exception e) when (StageFailure.IsStageFailure(e) || e is PipelineInvalidException)
        {
            throw FailedForGood(submission, pipeline, stageId,
                $"cannot be resolved: {(e is PipelineInvalidException invalid ? string.Join("; ", invalid.Errors) : StageFailure.Reason(e))}");
        }
        var outcome = new StageProcessLauncher(environment).Run(request with { Loaded = pipeline }, stageId, identity, observer, stop.Token);
        logger.LogInformation("{Submission}/{Stage}: {Status} ({Seconds:F1} s){Reason}", submission, stageId,
            outcome.Status.ToString().ToLowerInvariant(), outcome.Duration.TotalSeconds, outcome.Reason is null ? "" : " - " + outcome.Reason);
        switch (outcome.Status)
        {
            case var status when status.Succeeded():
                ReadyStages.Completed(storage, ReadyStages.StageJob(new BackgroundJobClient(storage), submission), submission, pipeline, stageId);
                return;
            case StageRunStatus.Cancelled when !cancellation.ShutdownToken.IsCancellationRequested:
                logger.LogInformation("{Submission}/{Stage}: cancelled with `distill cancel`; a new submission resumes it from its checkpoint", submission, stageId);
                return;
            case StageRunStatus.Cancelled:
                // The worker is shutting down: Hangfire puts the job back, and the next worker resumes the checkpoint.
                cancellation.ThrowIfCancellationRequested();
                throw new OperationCanceledException(outcome.Reason);
            default:
                throw FailedForGood(submission, pipeline, stageId, $"{outcome.Status.ToString().ToLowerInvariant()}: {outcome.Reason}");
        }
    }

    /// <summary>One look at the cancel mark, once a second; a database unreachable for a moment is looked at next time.</summary>
    private void WatchForCancel(string submission, CancellationTokenSource stop)
    {
        try
        {
            if (ClusterCancellation.IsCancelledNow(storage, submission)) stop.Cancel();
        }
        catch (Exception e) when (ReadyStages.IsConnectionFault(e))
        {
            logger.LogDebug("{Submission}: cancel mark not readable now ({Error}); looking again", submission, e.Message);
        }
        catch (ObjectDisposedException)
        {
            // The stage ended between the timer's tick and this look: nothing to stop.
        }
    }

    /// <summary>Records the stage as failed, which blocks its dependants (as in a local run), and gives the job's exception.</summary>
    private StageFailedException FailedForGood(string submission, Distill.Pipelines.PipelineDefinition pipeline, string stageId, string why)
    {
        ReadyStages.Failed(storage, submission, pipeline, stageId);
        return new StageFailedException($"stage '{stageId}' {why}");
    }
}
