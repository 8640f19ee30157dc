using Distill.Pipelines;
using Distill.Learning.Training;
using Distill.Runs;

namespace Distill.Stages.Engine;

/// <summary>Run one pipeline file; its run directory is &lt;RunsRoot&gt;/&lt;pipeline name&gt;.</summary>
/// <param name="Loaded">The file already parsed and validated by the caller (the worker), so it is not parsed twice.</param>
/// <param name="Jobs">How many independent stages run at once, each in its own process (see <see cref="IStageLauncher"/>).</param>
/// <param name="Threads">Overrides the pipeline's `threads` (set by a parallel run for the stage processes it starts).</param>
/// <param name="Device">Overrides the pipeline's `device` (a batch job given a GPU, or not, by its scheduler).</param>
public sealed record RunRequest(string PipelinePath, string RunsRoot, PipelineDefinition? Loaded = null, int Jobs = 1, int? Threads = null, string? Device = null);

/// <summary>
/// Runs one stage of a pipeline in a process of its own, so that stages run side by side (LibTorch's thread pool
/// and convolution routing are per process) and a native crash takes down one stage, not the run.
/// </summary>
public interface IStageLauncher
{
    /// <summary>
    /// Runs the stage to its end (or until <paramref name="stop"/>, which must checkpoint and stop it) and says how it ended.
    /// <paramref name="identity"/> is the stage resolved by the caller (its key, definition and inputs' keys), so the stage
    /// process need not identify the pipeline again; null lets it work them out itself.
    /// </summary>
    StageOutcome Run(RunRequest request, string stageId, StagePointer? identity, IRunObserver observer, CancellationToken stop);
}

/// <summary>How one stage ended in one run of the engine.</summary>
public enum StageRunStatus
{
    /// <summary>Completed earlier with the same key: nothing to do.</summary>
    UpToDate,
    Completed,
    Failed,

    /// <summary>Not started because a stage it reads from failed or was cancelled.</summary>
    Blocked,

    /// <summary>Stopped on request (Ctrl-C, SIGTERM, distill cancel) after a checkpoint.</summary>
    Cancelled,
}

public sealed record StageOutcome(string StageId, string Kind, StageRunStatus Status, string? Reason, TimeSpan Duration);

public sealed record RunSummary(string PipelineName, string RunDirectory, IReadOnlyList<StageOutcome> Stages)
{
    public bool Succeeded => Stages.All(s => s.Status.Succeeded());
    public bool Cancelled => Stages.Any(s => s.Status == StageRunStatus.Cancelled);
}

/// <summary>What a pipeline run tells its host while it works (progress bars, logs).</summary>
public interface IRunObserver
{
    void StageStarting(string stageId, string kind, StageAction action, string reason);
    void Step(string stageId, StepReport report);
    void EpochFinished(string stageId, EpochMetrics metrics, int epochs);
    void StageFinished(StageOutcome outcome);
    void Info(string message);
}

/// <summary>The engine: validates a pipeline and runs its stages in dependency order, resuming where it stopped.</summary>
public interface IPipelineRunner
{
    /// <exception cref="PipelineInvalidException">The file has errors; nothing was written.</exception>
    /// <exception cref="RunLockedException">Another live process owns the run directory.</exception>
    RunSummary Run(RunRequest request, IRunObserver observer, CancellationToken stop);
}

/// <summary>A pipeline file failed validation: one line per error, `file:line:column: message`.</summary>
public sealed class PipelineInvalidException(IReadOnlyList<string> errors)
    : Exception($"{errors.Count} error(s) in the pipeline:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// What a run would do with one stage (see <see cref="PipelineRunner.Plan"/>), the estimated time, and who is computing
/// its key right now (a run would wait for that process, then reuse its result), if anyone.
/// </summary>
public sealed record StagePlan(string StageId, string Kind, StageAction Action, string Reason, StageEstimate? Estimate, string? ComputedNowBy);

/// <summary>An estimated duration and what it is based on ("as last time", "like 3 stored train stages differing in alpha").</summary>
public sealed record StageEstimate(double Seconds, string Basis);
