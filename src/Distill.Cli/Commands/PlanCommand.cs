using System.CommandLine;
using System.Globalization;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>`distill plan FILE`: what `distill run FILE` would do with every stage now, and why, touching nothing.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var jobs = RunCommand.JobsOption();
        var command = new Command("plan", "Show what a run would do with every stage (reuse, resume, run fresh), why, and about how long it takes, without running") { file, RunCommand.RunsRoot, jobs };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(RunCommand.RunsRoot)!, Console.Out, parse.GetValue(jobs)));
        return command;
    }

    internal static int Run(string file, string runsRoot, TextWriter output, int jobs = 1)
    {
        IReadOnlyList<StagePlan> plan;
        try { plan = StageRegistry.CreateRunner().Plan(new RunRequest(file, runsRoot, Jobs: jobs)); }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine(error);
            return 2;
        }
        var width = plan.Select(p => p.StageId.Length).DefaultIfEmpty(5).Max();
        foreach (var stage in plan)
        {
            var estimate = stage.Action == StageAction.Skip ? "" : stage.Estimate is { } e ? $" [~{Duration(e.Seconds)}: {e.Basis}]" : " [no estimate: nothing similar stored]";
            var waits = stage.ComputedNowBy is { } who ? $" (being computed now by {who}: the run will wait for it)" : "";
            output.WriteLine($"{stage.StageId.PadRight(width)}  {Word(stage.Action),-7}  {stage.Reason}{waits}{estimate}");
        }
        int Count(StageAction a) => plan.Count(p => p.Action == a);
        var toDo = plan.Where(p => p.Action != StageAction.Skip).ToList();
        var known = toDo.Where(p => p.Estimate is not null).Sum(p => p.Estimate!.Seconds);
        var unknown = toDo.Count(p => p.Estimate is null);
        var total = toDo.Count == 0 ? "nothing to compute"
            : $"about {Duration(known)} of work{(unknown > 0 ? $" plus {unknown} stage(s) with no estimate" : "")}";
        output.WriteLine($"{Count(StageAction.Skip)} reused, {Count(StageAction.Resume)} to resume, {Count(StageAction.Fresh)} to run: {total}");
        return 0;
    }

    private static string Duration(double seconds) =>
        seconds < 90 ? $"{seconds.ToString("0", CultureInfo.InvariantCulture)} s"
        : seconds < 5400 ? $"{(seconds / 60).ToString("0.#", CultureInfo.InvariantCulture)} min"
        : $"{(seconds / 3600).ToString("0.#", CultureInfo.InvariantCulture)} h";

    /// <summary>The word `distill run` prints for the same decision.</summary>
    private static string Word(StageAction action) => action switch
    {
        StageAction.Skip => "reuse",
        StageAction.Resume => "resume",
        _ => "run",
    };
}
