using System.CommandLine;
using Distill.Cli.Cluster;
using Distill.Cli.Queue;
using Distill.Cli.Slurm;
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
        var engine = WorkerCommand.EngineOption(slurm: true);
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
            if (code == 0 && parse.GetValue(engine) == WorkerEngines.Slurm) return WriteSlurm(parse.GetValue(run), new SlurmLayout(parse.GetValue(root)!), AnsiConsole.Console);
            if (code != 0 || cluster is null) return code;
            ClusterStatus.Write(ClusterStorage.Create(cluster), AnsiConsole.Console);
            return 0;
        });
        return command;
    }

    /// <summary>The Slurm jobs of the run's latest submission (all runs': each one's latest).</summary>
    private static int WriteSlurm(string? runName, SlurmLayout layout, IAnsiConsole console)
    {
        if (SlurmClient.Missing() is { } missing)
        {
            Console.Error.WriteLine(missing);
            return 2;
        }
        var names = runName is not null ? [runName] : RunStatusReader.ListRuns(layout.Cluster.Runs).Select(r => r.Name).ToList();
        foreach (var name in names)
        {
            if (layout.SubmissionsOf(name) is not [.., var latest]) continue;
            var store = Distill.Runs.RunDirectory.Open(layout.Cluster.Runs, name).Store;
            try { SlurmStatus.Write(latest, SlurmStatus.Read(latest, store), console); }
            catch (SlurmException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        }
        return 0;
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
