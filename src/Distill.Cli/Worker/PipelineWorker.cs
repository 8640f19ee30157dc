using Distill.Stages.Kinds;
using Distill.Cli.Queue;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Distill.Cli.Worker;

/// <summary>
/// The worker loop: claim the oldest queued pipeline, run it to the end, file it under done/, failed/ or
/// cancelled/, repeat. On shutdown the running pipeline stops after its current step and checkpoint and goes
/// back to the queue, so the next start resumes it. One pipeline at a time: the engine already uses every
/// thread it is given.
/// </summary>
internal sealed class PipelineWorker(IOptions<WorkerOptions> options, ILogger<PipelineWorker> logger, Func<IPipelineRunner> runnerFactory)
    : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly QueueLayout _layout = new(options.Value.Root);

    /// <summary>Files whose run directory was busy, by name, with the time they may be tried again.</summary>
    private readonly Dictionary<string, DateTimeOffset> _deferred = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting; everything below is a long loop
        _layout.EnsureCreated();
        var queue = new JobQueue(_layout);
        logger.LogInformation("Worker (pid {Pid}) watching {Queue} every {Poll}; runs in {Runs}",
            Environment.ProcessId, _layout.Queue, _options.PollInterval, _layout.Runs);
        foreach (var name in queue.RecoverOrphans())
            logger.LogWarning("Put {File} back in the queue: the worker that claimed it is gone", name);

        while (!stoppingToken.IsCancellationRequested)
        {
            var job = queue.TryClaimNext(IsDue);
            if (job is null)
            {
                try { await Task.Delay(_options.PollInterval, stoppingToken); }
                catch (OperationCanceledException) { break; }
                continue;
            }
            await RunJobAsync(queue, job, stoppingToken);
        }
        logger.LogInformation("Worker stopped");
    }

    private bool IsDue(string fileName)
    {
        if (!_deferred.TryGetValue(fileName, out var until)) return true;
        if (until > DateTimeOffset.UtcNow) return false;
        _deferred.Remove(fileName);
        return true;
    }

    private async Task RunJobAsync(JobQueue queue, ClaimedJob job, CancellationToken stoppingToken)
    {
        var cancels = new CancelRequests(_layout);
        var loaded = PipelineLoader.Load(job.Path, StageKindRegistry.Catalogue);
        if (!loaded.Succeeded)
        {
            FailInvalid(queue, job, loaded.Errors.Select(e => e.ToString()).ToList());
            return;
        }
        var runName = loaded.Pipeline!.Name;
        if (cancels.IsRequested(runName, job))
        {
            FileCancelled(queue, cancels, runName, job);
            return;
        }

        logger.LogInformation("Claimed {File}: running pipeline {Run}", job.FileName, runName);
        using var jobStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var observer = new LoggingRunObserver(logger, runName, _options.StepLogInterval);
        // The engine is synchronous and CPU-bound: it gets its own thread, not one of the pool's.
        var run = Task.Factory.StartNew(
            () => runnerFactory().Run(new RunRequest(job.Path, _layout.Runs, loaded.Pipeline), observer, jobStop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var userCancelled = false;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(_options.PollInterval, CancellationToken.None));
            if (userCancelled || run.IsCompleted || !cancels.IsRequested(runName, job)) continue;
            userCancelled = true;
            logger.LogWarning("{Run}: cancel requested; stopping after the current step", runName);
            await jobStop.CancelAsync();
        }

        RunSummary summary;
        try
        {
            summary = await run;
        }
        catch (PipelineInvalidException e)
        {
            FailInvalid(queue, job, e.Errors);
            return;
        }
        catch (RunLockedException e)
        {
            // Someone else (a `distill run`, another worker) owns the run directory: not our failure, try later.
            queue.Requeue(job);
            _deferred[job.FileName] = DateTimeOffset.UtcNow + _options.LockedRetryDelay;
            logger.LogWarning("{Run}: {Message} Back in the queue; retrying in {Delay}", runName, e.Message, _options.LockedRetryDelay);
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Run}: the run crashed; moving {File} to failed/", runName, job.FileName);
            queue.Fail(job, $"crashed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            cancels.Clear(runName, job);
            return;
        }
        FileResult(queue, cancels, job, summary, userCancelled);
    }

    private void FileResult(JobQueue queue, CancelRequests cancels, ClaimedJob job, RunSummary summary, bool userCancelled)
    {
        var name = summary.PipelineName;
        if (summary.Cancelled && userCancelled)
        {
            FileCancelled(queue, cancels, name, job);
            return;
        }
        if (summary.Cancelled)
        {
            queue.Requeue(job);
            logger.LogInformation("{Run}: stopped for shutdown after a checkpoint; {File} is back in the queue and resumes on the next start",
                name, job.FileName);
            return;
        }
        if (summary.Succeeded)
        {
            var done = queue.Complete(job);
            logger.LogInformation("{Run}: all {Count} stages complete ({Directory}); {File} moved to {Done}",
                name, summary.Stages.Count, summary.RunDirectory, job.FileName, done);
        }
        else
        {
            var problems = summary.Stages
                .Where(s => s.Status is StageRunStatus.Failed or StageRunStatus.Blocked)
                .Select(s => $"{s.StageId}: {s.Status.ToString().ToLowerInvariant()} - {s.Reason}")
                .ToList();
            var failed = queue.Fail(job, string.Join(Environment.NewLine, problems));
            logger.LogError("{Run}: {Count} stage(s) did not complete: {Problems}; {File} moved to {Failed}",
                name, problems.Count, string.Join("; ", problems), job.FileName, failed);
        }
        cancels.Clear(name, job);
    }

    private void FileCancelled(JobQueue queue, CancelRequests cancels, string runName, ClaimedJob job)
    {
        var target = queue.Cancel(job, $"cancelled with `distill cancel {runName}` at {DateTimeOffset.UtcNow:u}");
        cancels.Clear(runName, job);
        logger.LogWarning("{Run}: cancelled; {File} moved to {Cancelled} (its run directory keeps the last checkpoint)",
            runName, job.FileName, target);
    }

    private void FailInvalid(JobQueue queue, ClaimedJob job, IReadOnlyList<string> errors)
    {
        foreach (var error in errors) logger.LogError("{Error}", error);
        var failed = queue.Fail(job, string.Join(Environment.NewLine, errors));
        logger.LogError("{File} is not a valid pipeline ({Count} error(s)); moved to {Failed}", job.FileName, errors.Count, failed);
    }
}
