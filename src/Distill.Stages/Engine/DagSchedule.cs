using Distill.Pipelines;

namespace Distill.Stages.Engine;

/// <summary>What the schedule says to do with a stage whose inputs have all ended.</summary>
public enum ScheduleAction
{
    /// <summary>Every input succeeded: the stage may start.</summary>
    Start,

    /// <summary>An input failed, or was blocked or cancelled: the stage never runs in this run.</summary>
    Block,

    /// <summary>The run is stopping: the stage is not started.</summary>
    Cancel,
}

/// <summary>A stage the schedule has decided on, and why (for blocked and cancelled stages).</summary>
public sealed record ScheduleDecision(StageDefinition Stage, ScheduleAction Action, string? Reason)
{
    /// <summary>The outcome of a stage that is not started (blocked or cancelled).</summary>
    public StageOutcome NotStarted() => Action switch
    {
        ScheduleAction.Block => new StageOutcome(Stage.Id, Stage.Kind, StageRunStatus.Blocked, Reason, TimeSpan.Zero),
        ScheduleAction.Cancel => new StageOutcome(Stage.Id, Stage.Kind, StageRunStatus.Cancelled, Reason, TimeSpan.Zero),
        _ => throw new InvalidOperationException($"stage '{Stage.Id}' is to start, not an outcome"),
    };
}

/// <summary>
/// The one DAG scheduler: from the stages that started and the outcomes so far it decides which stages may start,
/// which are blocked (an input did not succeed) and which are cancelled (the run is stopping). It runs nothing: the
/// engine's back ends (this process, child processes, Hangfire jobs) start what it says and report how each ended.
/// </summary>
public sealed class DagSchedule(IReadOnlyList<StageDefinition> stages)
{
    public const string StoppedReason = "run stopped before this stage";

    private readonly HashSet<string> _started = [];
    private readonly Dictionary<string, StageRunStatus> _ended = [];

    public IReadOnlyList<StageDefinition> Stages => stages;

    /// <summary>Every stage has ended (completed, up to date, failed, blocked or cancelled).</summary>
    public bool Finished => _ended.Count == stages.Count;

    /// <summary>A back end started the stage.</summary>
    public void Started(string stageId) => _started.Add(stageId);

    /// <summary>A stage ended (or was never started: blocked, cancelled, reused).</summary>
    public void Ended(string stageId, StageRunStatus status)
    {
        _started.Add(stageId);
        _ended[stageId] = status;
    }

    /// <summary>
    /// The stages not yet started whose inputs have all ended, in pipeline order: to start, to block (naming the input
    /// that did not succeed) or to cancel (when <paramref name="stopping"/>). Blocked and cancelled stages count as ended
    /// at once, so their dependants are decided in the same call.
    /// </summary>
    public IReadOnlyList<ScheduleDecision> Next(bool stopping)
    {
        var decisions = new List<ScheduleDecision>();
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var stage in stages)
            {
                if (_started.Contains(stage.Id) || decisions.Any(d => d.Stage.Id == stage.Id)) continue;
                if (!stage.Dependencies.All(_ended.ContainsKey)) continue;
                var failed = stage.Dependencies.FirstOrDefault(d => !_ended[d].Succeeded());
                var decision = stopping ? new ScheduleDecision(stage, ScheduleAction.Cancel, StoppedReason)
                    : failed is not null ? new ScheduleDecision(stage, ScheduleAction.Block, $"input stage '{failed}' did not complete")
                    : new ScheduleDecision(stage, ScheduleAction.Start, null);
                decisions.Add(decision);
                if (decision.Action != ScheduleAction.Start)
                {
                    Ended(stage.Id, decision.Action == ScheduleAction.Block ? StageRunStatus.Blocked : StageRunStatus.Cancelled);
                    changed = true;
                }
            }
        }
        return decisions;
    }
}

public static class StageRunStatusExtensions
{
    /// <summary>Completed now or earlier under the same key: its dependants may run.</summary>
    public static bool Succeeded(this StageRunStatus status) => status is StageRunStatus.Completed or StageRunStatus.UpToDate;
}
