using Distill.Pipelines;

namespace Distill.Stages.Engine;

/// <summary>
/// Starts one stage on a back end: this process (the task is complete when it returns), a child process, or a
/// batch system; the task ends with the stage's outcome.
/// </summary>
public delegate Task<StageOutcome> StageBackend(StageDefinition stage, CancellationToken stop);

/// <summary>
/// Drives a <see cref="DagSchedule"/> to its end on one back end with up to <c>slots</c> stages at once: starts what
/// the schedule makes ready, reports what it blocks or cancels, and waits for the next stage to end.
/// </summary>
public static class DagRunner
{
    public static IReadOnlyList<StageOutcome> Run(DagSchedule schedule, StageBackend backend, int slots, IRunObserver observer, CancellationToken stop)
    {
        var outcomes = new Dictionary<string, StageOutcome>();
        var running = new Dictionary<Task<StageOutcome>, string>();
        while (!schedule.Finished)
        {
            var decisions = schedule.Next(stop.IsCancellationRequested);
            if (decisions.Count == 0 && running.Count == 0)
                throw new InvalidOperationException("no stage can start and none is running: the stage graph has a cycle or an unknown input");
            foreach (var decision in decisions)
            {
                if (decision.Action != ScheduleAction.Start)
                {
                    outcomes[decision.Stage.Id] = decision.NotStarted();
                    observer.StageFinished(outcomes[decision.Stage.Id]);
                    continue;
                }
                if (running.Count >= slots) continue; // still ready: decided again when a slot frees
                schedule.Started(decision.Stage.Id);
                running[backend(decision.Stage, stop)] = decision.Stage.Id;
            }
            if (running.Count == 0) continue; // only blocked or cancelled stages were decided: their dependants are next
            var done = Task.WhenAny(running.Keys).GetAwaiter().GetResult();
            var id = running[done];
            running.Remove(done);
            var outcome = done.GetAwaiter().GetResult();
            outcomes[id] = outcome;
            schedule.Ended(id, outcome.Status);
            observer.StageFinished(outcome);
        }
        return schedule.Stages.Select(s => outcomes[s.Id]).ToList();
    }
}
