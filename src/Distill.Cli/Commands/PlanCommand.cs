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
        var command = new Command("plan", "Show what a run would do with every stage (reuse, resume, run fresh) and why, without running") { file, RunCommand.RunsRoot };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(RunCommand.RunsRoot)!, Console.Out));
        return command;
    }

    internal static int Run(string file, string runsRoot, TextWriter output)
    {
        IReadOnlyList<StagePlan> plan;
        try { plan = StageRegistry.CreateRunner().Plan(new RunRequest(file, runsRoot)); }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine(error);
            return 2;
        }
        var width = plan.Select(p => p.StageId.Length).DefaultIfEmpty(5).Max();
        foreach (var stage in plan)
        {
            var last = stage.LastSeconds is { } s && stage.Action != StageAction.Skip ? $" (last attempt {s.ToString("0", CultureInfo.InvariantCulture)} s)" : "";
            output.WriteLine($"{stage.StageId.PadRight(width)}  {Word(stage.Action),-7}  {stage.Reason}{last}");
        }
        int Count(StageAction a) => plan.Count(p => p.Action == a);
        output.WriteLine($"{Count(StageAction.Skip)} up to date, {Count(StageAction.Resume)} to resume, {Count(StageAction.Fresh)} to run");
        return 0;
    }

    /// <summary>The word `distill run` prints for the same decision.</summary>
    private static string Word(StageAction action) => action switch
    {
        StageAction.Skip => "reuse",
        StageAction.Resume => "resume",
        _ => "run",
    };
}
