using Distill.Cli.Display;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Engine;
using Microsoft.Extensions.Logging;

namespace Distill.Cli.Worker;

/// <summary>
/// The engine's progress as log lines: every stage start and finish and every epoch, but a training step only
/// every <c>stepInterval</c> (thousands of steps would drown the log).
/// </summary>
internal sealed class LoggingRunObserver(ILogger logger, string runName, TimeSpan stepInterval) : IRunObserver
{
    private DateTime _lastStepLine = DateTime.UtcNow;

    public void StageStarting(string stageId, string kind, StageAction action, string reason) =>
        logger.LogInformation("{Run}/{Stage} ({Kind}): {Action} - {Reason}", runName, stageId, kind,
            action == StageAction.Resume ? "resuming" : "starting", reason);

    public void Step(string stageId, StepReport report)
    {
        var now = DateTime.UtcNow;
        if (now - _lastStepLine < stepInterval) return;
        _lastStepLine = now;
        logger.LogInformation("{Run}/{Stage} epoch {Epoch} step {Step}/{StepsPerEpoch} loss {Loss:F3} lr {LearningRate:G3}",
            runName, stageId, report.Epoch + 1, report.Step + 1, report.StepsPerEpoch, report.Loss, report.LearningRate);
    }

    public void EpochFinished(string stageId, EpochMetrics metrics, int epochs) =>
        logger.LogInformation("{Run}/{Line}", runName, EpochLine.Format(stageId, metrics, epochs));

    public void StageFinished(StageOutcome outcome)
    {
        var level = outcome.Status is StageRunStatus.Failed or StageRunStatus.Blocked ? LogLevel.Warning : LogLevel.Information;
        var status = outcome.Status.ToString().ToLowerInvariant();
        if (outcome.Reason is null)
            logger.Log(level, "{Run}/{Stage}: {Status} ({Seconds:F1} s)", runName, outcome.StageId, status, outcome.Duration.TotalSeconds);
        else
            logger.Log(level, "{Run}/{Stage}: {Status} ({Seconds:F1} s) - {Reason}", runName, outcome.StageId, status, outcome.Duration.TotalSeconds, outcome.Reason);
    }

    public void Info(string message) => logger.LogInformation("{Run}: {Message}", runName, message);
}
