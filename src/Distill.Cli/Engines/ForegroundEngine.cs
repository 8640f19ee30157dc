using Distill.Cli.Commands;
using Distill.Cli.Display;
using Distill.Cli.Queue;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Engines;

/// <summary>An engine that `distill run` runs in the foreground: every stage in dependency order, where the engine puts it.</summary>
internal interface IEngineForeground
{
    /// <summary>Whether it runs up to <paramref name="jobs"/> stages at once; `distill run` picks the first engine that does.</summary>
    bool Runs(int jobs);

    /// <summary>Runs a pipeline file in the foreground with up to <paramref name="jobs"/> stages at once; the exit code
    /// `distill run` returns. Ctrl-C or SIGTERM finishes the current step, checkpoints and returns 0; running it again
    /// continues where it stopped.</summary>
    int Run(EngineCall call, string file, string runsRoot, int jobs);
}

/// <summary>
/// An engine with no scheduler but the command's own process: stages in dependency order as DagSchedule decides, each
/// where <see cref="Launcher"/> puts it. `submit` runs the pipeline now (its runs under ROOT/runs), and `cancel` asks
/// the process that holds the run's lock to checkpoint and stop, as Ctrl-C does in its terminal.
/// </summary>
internal abstract class ForegroundEngine : IEngine, IEngineForeground
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract bool Runs(int jobs);

    /// <summary>How one stage runs: null in this process, one after another; otherwise the launcher that runs it elsewhere.</summary>
    protected abstract IStageLauncher? Launcher { get; }

    public IEngineForeground Foreground => this;

    /// <summary>Runs the pipeline now, one stage at a time (`distill run --jobs N` runs more at once).</summary>
    public int Submit(EngineCall call, string file) => Run(call, file, new QueueLayout(call.Root).Runs, jobs: 1);

    public int Run(EngineCall call, string file, string runsRoot, int jobs)
    {
        using var stop = new StopSignals();
        try
        {
            var runner = StageRegistry.CreateRunner(Launcher);
            var summary = ConsoleRunObserver.Show(observer => runner.Run(new RunRequest(file, runsRoot, Jobs: jobs), observer, stop.Token));
            if (summary.Cancelled)
            {
                call.Output.WriteLine($"Stopped; run the same command again to continue ({summary.RunDirectory}).");
                return 0;
            }
            var failed = summary.Stages.Where(s => s.Status is StageRunStatus.Failed or StageRunStatus.Blocked).ToList();
            call.Output.WriteLine($"{summary.Stages.Count - failed.Count}/{summary.Stages.Count} stages complete; results in {summary.RunDirectory}");
            if (ReportLocator.Find(summary.RunDirectory) is { } report) call.Output.WriteLine($"Report: {report}");
            return failed.Count == 0 ? 0 : 1;
        }
        catch (PipelineInvalidException e)
        {
            foreach (var error in e.Errors) call.Error.WriteLine(error);
            return 2;
        }
        catch (RunLockedException e)
        {
            call.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }

    /// <summary>SIGTERM to the process on this host that holds the run's lock: it checkpoints and stops.</summary>
    public int Cancel(EngineCall call, string run)
    {
        RunDirectory directory;
        try { directory = RunDirectory.Locate(new QueueLayout(call.Root).Runs, run); }
        catch (ArgumentException e)
        {
            call.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        // Probing the lock creates its file: look only where a run has made one.
        var owner = File.Exists(directory.LockPath) && OwnerLock.IsHeld(directory.LockPath) ? OwnerLock.ReadOwner(directory.LockPath) : null;
        if (owner is null)
        {
            call.Error.WriteLine($"error: nothing to cancel: no process is running '{run}' ({directory.RootPath})");
            return 1;
        }
        if (owner.Host != Environment.MachineName)
        {
            call.Error.WriteLine($"error: '{run}' is run by {owner}: stop it there (Ctrl-C, or kill -TERM {owner.Pid})");
            return 1;
        }
        Signals.Terminate(owner.Pid);
        call.Output.WriteLine($"Asked {owner} to checkpoint and stop '{run}' (SIGTERM); run it again to continue");
        return 0;
    }
}

/// <summary>Every stage in this process, one after another: `distill run`'s default.</summary>
internal sealed class InProcessEngine : ForegroundEngine
{
    public override string Name => "in-process";

    public override string Description => "in-process (distill run: one stage at a time in this process)";

    public override bool Runs(int jobs) => jobs == 1;

    protected override IStageLauncher? Launcher => null;
}

/// <summary>Up to `--jobs` independent stages at once, each a `distill run-stage` child process (a native crash takes
/// down one stage, not the run).</summary>
internal sealed class ProcessesEngine : ForegroundEngine
{
    public override string Name => "processes";

    public override string Description => "processes (distill run --jobs N: each stage a child process)";

    public override bool Runs(int jobs) => jobs >= 1;

    protected override IStageLauncher Launcher { get; } = new StageProcessLauncher();
}
