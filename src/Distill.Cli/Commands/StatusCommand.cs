using System.CommandLine;
using Distill.Cli.Cluster;
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
    public static Command Create()
    {
        var run = new Argument<string?>("run") { Description = "Run (pipeline) name; omit to list all runs", Arity = ArgumentArity.ZeroOrOne };
        var root = WorkerRootOption.Create();
        var runs = new Option<string?>("--runs") { Description = "Runs folder to read instead of ROOT/runs (e.g. the one `distill run` wrote)" };
        var engine = WorkerCommand.EngineOption();
        var connection = WorkerCommand.ConnectionOption();
        var command = new Command("status", "Show runs, their stages and the worker queue") { run, root, runs, engine, connection };
        command.SetAction(parse =>
        {
            string? cluster = null;
            if (parse.GetValue(engine) == WorkerEngines.Postgres)
            {
                // Checked first, so a bad connection is the one line printed.
                cluster = ClusterConnection.Resolve(parse.GetValue(connection));
                if (string.IsNullOrWhiteSpace(cluster))
                {
                    Console.Error.WriteLine(ClusterConnection.Missing);
                    return 2;
                }
                if (ClusterConnection.Unreachable(cluster) is { } unreachable)
                {
                    Console.Error.WriteLine(unreachable);
                    return 1;
                }
            }
            var code = Run(parse.GetValue(run), new QueueLayout(parse.GetValue(root)!), parse.GetValue(runs), AnsiConsole.Console);
            if (code != 0 || cluster is null) return code;
            ClusterStatus.Write(ClusterStorage.Create(cluster), AnsiConsole.Console);
            return 0;
        });
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
