using System.CommandLine;
using Distill.Cli.Cluster;
using Distill.Cli.Queue;
using Distill.Cli.Slurm;
using Distill.Cli.Worker;

namespace Distill.Cli.Commands;

/// <summary>`distill cancel RUN --root DIR`: drop a pipeline's queued files and stop its running one after the current step.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "Run (pipeline) name" };
        var root = WorkerRootOption.Create();
        var engine = WorkerCommand.EngineOption(slurm: true);
        var connection = WorkerCommand.ConnectionOption();
        var command = new Command("cancel", "Cancel a queued or running pipeline of a worker") { run, root, engine, connection };
        command.SetAction(parse =>
        {
            if (parse.GetValue(engine) == WorkerEngines.Slurm)
                return CancelInSlurm(parse.GetValue(run)!, parse.GetValue(root)!);
            if (parse.GetValue(engine) == WorkerEngines.Postgres)
                return CancelInCluster(parse.GetValue(run)!, parse.GetValue(root)!, ClusterConnection.Resolve(parse.GetValue(connection)));
            var layout = new QueueLayout(parse.GetValue(root)!);
            var name = parse.GetValue(run)!;
            CancelResult result;
            try { result = new RunCanceller(layout).Cancel(name, DateTimeOffset.UtcNow); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            foreach (var file in result.CancelledPending)
                Console.WriteLine($"Removed {file} from the queue (now in {layout.Cancelled})");
            foreach (var file in result.StopRequested)
                Console.WriteLine($"Asked the worker running {file} to stop after its current step ({Path.Combine(layout.CancelRequests, name)}); it will move to {layout.Cancelled}");
            if (!result.NothingFound) return 0;
            Console.Error.WriteLine($"error: nothing to cancel: no queued or running pipeline named '{name}' in {layout.Queue}");
            return 1;
        });
        return command;
    }

    private static int CancelInSlurm(string run, string root)
    {
        if (SlurmClient.Missing() is { } missing)
        {
            Console.Error.WriteLine(missing);
            return 2;
        }
        var layout = new SlurmLayout(root);
        IReadOnlyList<SlurmSubmission> cancelled;
        try { cancelled = SlurmCancellation.Cancel(layout, run); }
        catch (Exception e) when (e is ArgumentException or SlurmException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e is ArgumentException ? 2 : 1;
        }
        if (cancelled.Count == 0)
        {
            Console.Error.WriteLine($"error: nothing to cancel: no submission of '{run}' in {layout.Jobs} that is not cancelled already");
            return 1;
        }
        foreach (var submission in cancelled)
            Console.WriteLine($"Cancelled {submission.Submission}: scancel of {submission.Jobs.Count} jobs; running stages checkpoint and stop, pending ones never start; submit again to resume");
        return 0;
    }

    private static int CancelInCluster(string run, string root, string? connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            Console.Error.WriteLine(ClusterConnection.Missing);
            return 2;
        }
        if (ClusterConnection.Unreachable(connection) is { } unreachable)
        {
            Console.Error.WriteLine(unreachable);
            return 1;
        }
        var layout = new ClusterLayout(root);
        IReadOnlyList<string> submissions;
        try { submissions = ClusterCancellation.Cancel(ClusterStorage.Create(connection), layout, run); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (submissions.Count == 0)
        {
            Console.Error.WriteLine($"error: nothing to cancel: no submission of '{run}' in {layout.Pipelines}");
            return 1;
        }
        Console.WriteLine($"Cancelled {string.Join(", ", submissions)}: running stages checkpoint and stop within a few seconds, queued ones will not start");
        return 0;
    }
}
