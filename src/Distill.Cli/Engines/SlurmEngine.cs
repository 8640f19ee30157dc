using Distill.Cli.Slurm;
using Distill.Cli.Status;
using Spectre.Console;

namespace Distill.Cli.Engines;

/// <summary>One batch job per stage on a Slurm cluster: submit, status and cancel; Slurm runs the jobs, no worker does.</summary>
internal sealed class SlurmEngine : IEngine
{
    public string Name => "slurm";

    public string Description => "slurm (one sbatch job per stage; the root on a file system every node mounts)";

    public (int Code, string Message)? Unavailable(EngineCall call) => SlurmClient.Missing() is { } missing ? (2, missing) : null;

    public int Submit(EngineCall call, string file) => SlurmSubmitter.Submit(file, call.Root, call.Output);

    public int Cancel(EngineCall call, string run)
    {
        var layout = new SlurmLayout(call.Root);
        IReadOnlyList<SlurmSubmission> cancelled;
        try { cancelled = SlurmCancellation.Cancel(layout, run); }
        catch (Exception e) when (e is ArgumentException or SlurmException)
        {
            call.Error.WriteLine($"error: {e.Message}");
            return e is ArgumentException ? 2 : 1;
        }
        if (cancelled.Count == 0)
        {
            call.Error.WriteLine($"error: nothing to cancel: no submission of '{run}' in {layout.Jobs} that is not cancelled already");
            return 1;
        }
        foreach (var submission in cancelled)
            call.Output.WriteLine($"Cancelled {submission.Submission}: scancel of {submission.Jobs.Count} jobs; running stages checkpoint and stop, pending ones never start; submit again to resume");
        return 0;
    }

    /// <summary>The Slurm jobs of the run's latest submission (all runs': each one's latest).</summary>
    public int Status(EngineCall call, string? run, IAnsiConsole console)
    {
        var layout = new SlurmLayout(call.Root);
        var names = run is not null ? [run] : RunStatusReader.ListRuns(layout.Cluster.Runs).Select(r => r.Name).ToList();
        foreach (var name in names)
        {
            if (layout.SubmissionsOf(name) is not [.., var latest]) continue;
            var store = Distill.Runs.RunDirectory.Open(layout.Cluster.Runs, name).Store;
            try { SlurmStatus.Write(latest, SlurmStatus.Read(latest, store), console); }
            catch (SlurmException e)
            {
                call.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        }
        return 0;
    }
}
