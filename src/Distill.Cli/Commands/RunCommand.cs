using System.CommandLine;
using Distill.Cli.Display;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill run FILE`: the engine in the foreground. Ctrl-C or SIGTERM finishes the current step,
/// checkpoints and exits 0; running the same command again continues where it stopped.
/// </summary>
internal static class RunCommand
{
    public static readonly Option<string> RunsRoot = new("--runs")
    {
        Description = "Folder holding run directories (one per pipeline name)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DISTILL_RUNS") ?? "runs",
    };

    /// <summary>`--jobs N` of run and plan.</summary>
    public static Option<int> JobsOption() => new("--jobs", "-j")
    {
        Description = "Run up to N independent stages at once, each in its own process; with `threads: 0` they share the cores (N > 1 changes the stage keys then, so reuse across N needs a pinned `threads:`)",
        DefaultValueFactory = _ => 1,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--jobs must be at least 1"); } },
    };

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var jobs = JobsOption();
        var command = new Command("run", "Run a pipeline in the foreground (resumes where an earlier run stopped)") { file, RunsRoot, jobs };
        // A synchronous action: System.CommandLine then leaves SIGTERM and Ctrl-C to us (its async actions
        // install handlers that give up after a short timeout, before a checkpoint may be written).
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(RunsRoot)!, parse.GetValue(jobs)));
        return command;
    }

    /// <summary>Runs a pipeline file in the foreground; the exit code `distill run` returns.</summary>
    internal static int Run(string file, string runsRoot, int jobs = 1)
    {
        using var stop = new StopSignals();

        try
        {
            var summary = ConsoleRunObserver.Show(observer => StageRegistry.CreateRunner().Run(new RunRequest(file, runsRoot, Jobs: jobs), observer, stop.Token));
            if (summary.Cancelled)
            {
                Console.WriteLine($"Stopped; run the same command again to continue ({summary.RunDirectory}).");
                return 0;
            }
            var failed = summary.Stages.Where(s => s.Status is StageRunStatus.Failed or StageRunStatus.Blocked).ToList();
            Console.WriteLine($"{summary.Stages.Count - failed.Count}/{summary.Stages.Count} stages complete; results in {summary.RunDirectory}");
            var report = ReportLocator.Find(summary.RunDirectory);
            if (report is not null) Console.WriteLine($"Report: {report}");
            return failed.Count == 0 ? 0 : 1;
        }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine(error);
            return 2;
        }
        catch (RunLockedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }
}
