using System.CommandLine;
using Distill.Cli.Engines;
using Distill.Cli.Queue;
using Distill.Cli.Status;
using Distill.Cli.Worker;
using Spectre.Console;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill status [RUN]`: the runs under a worker root (or a plain runs folder made by `distill run`) and the
/// queue, or one run's stages. Reads manifests only; safe while a worker runs.
/// </summary>
internal static class StatusCommand
{
    public static Command Create() => Create(Engines.Engines.All);

    public static Command Create(IReadOnlyList<IEngine> engines)
    {
        var run = new Argument<string?>("run") { Description = "Run (pipeline) name; omit to list all runs", Arity = ArgumentArity.ZeroOrOne };
        var root = WorkerRootOption.Create();
        var runs = new Option<string?>("--runs") { Description = "Runs folder to read instead of ROOT/runs (e.g. the one `distill run` wrote)" };
        var engine = EngineOptions.Engine(engines);
        var connection = EngineOptions.Connection();
        var command = new Command("status", "Show runs, their stages and the worker queue") { run, root, runs, engine, connection };
        // The runs' stages from their manifests, as every engine records them, then what the engine adds.
        command.SetAction(parse => EngineOptions.Dispatch(parse, engines, engine, root, connection, (e, call) =>
            Run(parse.GetValue(run), new QueueLayout(call.Root), parse.GetValue(runs), AnsiConsole.Console) is var code and not 0
                ? code : e.Status(call, parse.GetValue(run), AnsiConsole.Console)));
        return command;
    }

    internal static int Run(string? runName, QueueLayout layout, string? runsFolder, IAnsiConsole console)
    {
        var runsRoot = runsFolder is null ? layout.Runs : Path.GetFullPath(runsFolder);
        var view = new StatusView(console);
        if (runName is null)
        {
            view.WriteRuns(runsRoot, RunStatusReader.ListRuns(runsRoot), RunStatusReader.ReadQueue(layout));
            return 0;
        }

        IReadOnlyList<StageStatusRow>? stages;
        try { stages = RunStatusReader.ReadRun(runsRoot, runName, DateTimeOffset.UtcNow); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (stages is null)
        {
            var known = RunStatusReader.ListRuns(runsRoot).Select(r => r.Name).ToList();
            Console.Error.WriteLine($"error: no run '{runName}' in {runsRoot}" +
                (known.Count > 0 ? $" (runs there: {string.Join(", ", known)})" : " (it has no runs; pass --runs DIR for a `distill run` folder)"));
            return 1;
        }
        view.WriteRun(runName, stages);
        return 0;
    }
}
