using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Distill.Cli.Display;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill run-stage FILE --stage ID` (hidden): one stage of a pipeline in this process, for `distill run --jobs N`,
/// which holds the run's lock and started this process. The last line of output is the outcome as JSON.
/// </summary>
internal static class RunStageCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var stage = new Option<string>("--stage") { Description = "The stage id", Required = true };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (overrides the pipeline's)" };
        var command = new Command("run-stage", "Run one stage of a pipeline (used by `run --jobs N`)") { file, stage, RunCommand.RunsRoot, threads };
        command.Hidden = true;
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(stage)!, parse.GetValue(RunCommand.RunsRoot)!, parse.GetValue(threads)));
        return command;
    }

    /// <summary>The command line that runs <paramref name="stageId"/> of <paramref name="request"/>'s pipeline.</summary>
    public static IEnumerable<string> Arguments(RunRequest request, string stageId)
    {
        yield return "run-stage";
        yield return Path.GetFullPath(request.PipelinePath);
        yield return "--stage";
        yield return stageId;
        yield return "--runs";
        yield return Path.GetFullPath(request.RunsRoot);
        if (request.Threads is { } threads)
        {
            yield return "--threads";
            yield return threads.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static readonly JsonSerializerOptions OneLine = new(RunJson.Options) { WriteIndented = false };

    private static int Run(string file, string stageId, string runsRoot, int? threads)
    {
        using var stop = new StopSignals();
        StageOutcome outcome;
        try
        {
            outcome = ConsoleRunObserver.Show(observer =>
                StageRegistry.CreateRunner().RunOneStage(new RunRequest(file, runsRoot, Threads: threads), stageId, observer, stop.Token));
        }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine(error);
            return 2;
        }
        Console.Out.Flush();
        Console.WriteLine(StageProcessLauncher.OutcomePrefix + JsonSerializer.Serialize(outcome, OneLine));
        return outcome.Status is StageRunStatus.Completed or StageRunStatus.UpToDate or StageRunStatus.Cancelled ? 0 : 1;
    }
}
