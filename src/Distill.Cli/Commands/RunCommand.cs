using System.CommandLine;
using Distill.Cli.Engines;

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

    public static Command Create() => Create(Engines.Engines.All);

    public static Command Create(IReadOnlyList<IEngine> engines)
    {
        var foreground = engines.Where(e => e.Foreground is not null).ToList();
        var file = new Argument<string>("file") { Description = "Pipeline YAML file" };
        var jobs = JobsOption();
        var engine = new Option<string?>("--engine")
        {
            Description = string.Join(", ", foreground.Select(e => e.Description)) + "; default the first that runs --jobs stages at once",
        };
        engine.AcceptOnlyFromAmong([.. foreground.Select(e => e.Name)]);
        var command = new Command("run", "Run a pipeline in the foreground (resumes where an earlier run stopped)") { file, RunsRoot, jobs, engine };
        // A synchronous action: System.CommandLine then leaves SIGTERM and Ctrl-C to us (its async actions
        // install handlers that give up after a short timeout, before a checkpoint may be written).
        command.SetAction(parse =>
            Run(foreground, parse.GetValue(engine), parse.GetValue(file)!, parse.GetValue(RunsRoot)!, parse.GetValue(jobs)));
        return command;
    }

    /// <summary>Runs a pipeline file in the foreground, one stage at a time in this process (`distill train`).</summary>
    internal static int Run(string file, string runsRoot) =>
        Run([.. Engines.Engines.All.Where(e => e.Foreground is not null)], null, file, runsRoot);

    /// <summary>Runs a pipeline file in the foreground with the engine named (or the first that runs <paramref name="jobs"/>
    /// stages at once); the exit code `distill run` returns.</summary>
    internal static int Run(IReadOnlyList<IEngine> engines, string? name, string file, string runsRoot, int jobs = 1)
    {
        var chosen = name is null ? engines.FirstOrDefault(e => e.Foreground!.Runs(jobs)) : Engines.Engines.Named(engines, name);
        if (chosen is null || !chosen.Foreground!.Runs(jobs))
        {
            var able = engines.Where(e => e.Foreground!.Runs(jobs)).Select(e => $"--engine {e.Name}");
            Console.Error.WriteLine($"error: engine '{chosen?.Name}' cannot run --jobs {jobs} stages at once; {string.Join(" or ", able)} can");
            return 2;
        }
        return chosen.Foreground!.Run(new EngineCall(runsRoot, null, Console.Out, Console.Error), file, runsRoot, jobs);
    }
}
