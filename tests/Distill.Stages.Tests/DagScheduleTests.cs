using Distill.Pipelines;
using Distill.Stages.Engine;

namespace Distill.Stages.Tests;

/// <summary>The one scheduler: which stages start, which are blocked or cancelled, on any back end and slot count.</summary>
public sealed class DagScheduleTests
{
    // a -> b -> d, c -> d, e (alone): a fan-out and a fan-in.
    private static readonly IReadOnlyList<StageDefinition> Stages =
    [
        Stage("a"), Stage("b", "a"), Stage("c"), Stage("d", "b", "c"), Stage("e"),
    ];

    private static StageDefinition Stage(string id, params string[] inputs) => new(id, id, "train", ParameterSet.Empty,
        inputs.Length == 0 ? new Dictionary<string, IReadOnlyList<string>>() : new Dictionary<string, IReadOnlyList<string>> { ["in"] = inputs },
        null, null, new Dictionary<string, object>(), new SourceLocation("p.yaml", 1, 1));

    [Fact]
    public void Stages_whose_inputs_all_succeeded_are_ready_in_pipeline_order()
    {
        var schedule = new DagSchedule(Stages);
        Assert.Equal(["a", "c", "e"], schedule.Next(stopping: false).Select(d => d.Stage.Id));
        schedule.Ended("a", StageRunStatus.Completed);
        schedule.Ended("c", StageRunStatus.UpToDate);
        Assert.Equal(["b", "e"], schedule.Next(stopping: false).Select(d => d.Stage.Id)); // d still waits for b
        schedule.Started("e");
        Assert.Equal(["b"], schedule.Next(stopping: false).Select(d => d.Stage.Id)); // started stages are not offered again
    }

    [Fact]
    public void A_failed_stage_blocks_its_dependants_transitively_naming_the_input()
    {
        var schedule = new DagSchedule(Stages);
        schedule.Ended("a", StageRunStatus.Failed);
        schedule.Ended("c", StageRunStatus.Completed);
        var decisions = schedule.Next(stopping: false).ToDictionary(d => d.Stage.Id);
        Assert.Equal(ScheduleAction.Block, decisions["b"].Action);
        Assert.Equal("input stage 'a' did not complete", decisions["b"].Reason);
        Assert.Equal(ScheduleAction.Block, decisions["d"].Action); // decided in the same call, through b
        Assert.Equal("input stage 'b' did not complete", decisions["d"].Reason);
        Assert.Equal(ScheduleAction.Start, decisions["e"].Action);
        Assert.Equal(StageRunStatus.Blocked, decisions["d"].NotStarted().Status);
    }

    [Fact]
    public void A_stopping_run_cancels_every_stage_not_started()
    {
        var schedule = new DagSchedule(Stages);
        schedule.Started("a");
        var decisions = schedule.Next(stopping: true);
        Assert.Equal(["c", "e"], decisions.Select(d => d.Stage.Id)); // b and d wait for a, which is running
        Assert.All(decisions, d => Assert.Equal(ScheduleAction.Cancel, d.Action));
        schedule.Ended("a", StageRunStatus.Cancelled);
        Assert.Equal(["b", "d"], schedule.Next(stopping: true).Select(d => d.Stage.Id));
        Assert.True(schedule.Finished);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_runner_keeps_within_its_slots_and_runs_a_stage_only_after_its_inputs(int slots)
    {
        int running = 0, most = 0;
        var ended = new List<string>();
        var gate = new object();
        Task<StageOutcome> Backend(StageDefinition stage, CancellationToken stop) => Task.Run(() =>
        {
            lock (gate)
            {
                Assert.All(stage.Dependencies, d => Assert.Contains(d, ended));
                most = Math.Max(most, ++running);
            }
            Thread.Sleep(20);
            lock (gate) { running--; ended.Add(stage.Id); }
            return new StageOutcome(stage.Id, stage.Kind, stage.Id == "b" ? StageRunStatus.Failed : StageRunStatus.Completed, null, TimeSpan.Zero);
        });

        var observer = new RecordingObserver();
        var outcomes = DagRunner.Run(new DagSchedule(Stages), Backend, slots, observer, CancellationToken.None);

        Assert.InRange(most, 1, slots);
        Assert.Equal(["a", "b", "c", "d", "e"], outcomes.Select(o => o.StageId)); // pipeline order, whatever the order of ending
        Assert.Equal(StageRunStatus.Blocked, outcomes[3].Status);
        Assert.DoesNotContain("d", ended); // never started
        Assert.Equal(5, observer.Finished.Count);
        if (slots == 1) Assert.Equal(["a", "b", "c", "e"], ended); // serial: pipeline order
    }

    private sealed class RecordingObserver : IRunObserver
    {
        public List<StageOutcome> Finished { get; } = [];
        public void StageStarting(string stageId, string kind, Runs.StageAction action, string reason) { }
        public void Step(string stageId, Learning.Training.StepReport report) { }
        public void EpochFinished(string stageId, Runs.EpochMetrics metrics, int epochs) { }
        public void StageFinished(StageOutcome outcome) { lock (Finished) Finished.Add(outcome); }
        public void Info(string message) { }
    }
}
