using System.CommandLine;
using Distill.Cli.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Distill.Cli.Commands;

/// <summary>
/// `distill worker --root DIR`: a long-running process that runs pipelines submitted to DIR/queue one after another.
/// SIGTERM or Ctrl-C stops it after the current step's checkpoint (exit 0); the interrupted pipeline resumes on the next start.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var root = new Option<string?>("--root") { Description = "Worker folder holding queue/, cancel/ and runs/ (config key Root, env DISTILL_ROOT; default: current folder)" };
        var poll = new Option<string?>("--poll-interval") { Description = "How often to look for work, e.g. 00:00:02 (config key PollInterval)" };
        var shutdown = new Option<string?>("--shutdown-timeout") { Description = "Longest wait for a checkpoint on SIGTERM, e.g. 00:00:30 (config key ShutdownTimeout)" };
        var logFormat = new Option<string?>("--log-format") { Description = "console or json (config key LogFormat)" };
        logFormat.AcceptOnlyFromAmong("console", "json");
        var engine = EngineOption();
        var connection = ConnectionOption();
        var slots = new Option<string?>("--slots") { Description = "Stages run at once by this worker, postgres engine (config key Slots; default 1)" };
        var devices = new Option<string?>("--devices") { Description = "GPUs, one per slot, e.g. 0,1,2,3: each stage sees only its slot's (CUDA_VISIBLE_DEVICES; config key Devices)" };
        var command = new Command("worker", "Run queued pipelines until stopped (submit with `distill submit`)") { root, poll, shutdown, logFormat, engine, connection, slots, devices };

        // A synchronous action on purpose: System.CommandLine's async actions install their own SIGTERM handler that
        // gives up after two seconds with exit code 143; the generic host's lifetime must own the signals instead.
        command.SetAction(parse => Run(new Dictionary<string, string?>
        {
            [nameof(WorkerOptions.Root)] = parse.GetValue(root),
            [nameof(WorkerOptions.PollInterval)] = parse.GetValue(poll),
            [nameof(WorkerOptions.ShutdownTimeout)] = parse.GetValue(shutdown),
            [nameof(WorkerOptions.LogFormat)] = parse.GetValue(logFormat),
            [nameof(WorkerOptions.Engine)] = parse.GetValue(engine),
            [nameof(WorkerOptions.Connection)] = parse.GetValue(connection),
            [nameof(WorkerOptions.Slots)] = parse.GetValue(slots),
            [nameof(WorkerOptions.Devices)] = parse.GetValue(devices),
        }.Where(kv => kv.Value is not null).ToDictionary()));
        return command;
    }

    /// <summary>`--engine files|postgres` (config key Engine), and `slurm` for the commands that submit to, read or cancel in a scheduler.</summary>
    public static Option<string?> EngineOption(bool slurm = false)
    {
        var engine = new Option<string?>("--engine")
        {
            Description = "files (the embedded queue under --root) or postgres (Hangfire on PostgreSQL; config key Engine)"
                + (slurm ? " or slurm (one sbatch job per stage; the root on a file system every node mounts)" : ""),
        };
        engine.AcceptOnlyFromAmong(slurm ? WorkerEngines.Submittable : WorkerEngines.All);
        return engine;
    }

    /// <summary>`--connection` (config key Connection).</summary>
    public static Option<string?> ConnectionOption() =>
        new("--connection") { Description = "PostgreSQL connection string for --engine postgres, e.g. \"Host=db;Port=5432;Username=distill;Database=distill\" (config key Connection, env DISTILL_CONNECTION)" };

    private static int Run(IReadOnlyDictionary<string, string?> commandLine)
    {
        IHost built;
        WorkerOptions options;
        try
        {
            // Building reads the options (the host's lifetime needs the shutdown timeout), which binds and validates them.
            built = WorkerHost.Build(commandLine);
            options = built.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures) Console.Error.WriteLine($"error: worker settings: {failure}");
            return 2;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"error: worker settings: {e.Message} (time spans look like 00:00:30)");
            return 2;
        }

        using var host = built;
        if (options.Engine == WorkerEngines.Postgres)
        {
            host.Run(); // Hangfire's server: on SIGTERM, running stages checkpoint and their jobs go back to the queue
            return 0;
        }
        var worker = host.Services.GetRequiredService<PipelineWorker>(); // before Run, which disposes the services
        host.Run();

        if (worker.ExecuteTask is { IsFaulted: true }) return 1; // the host already logged why
        if (worker.ExecuteTask is { IsCompleted: false })
        {
            Console.Error.WriteLine($"error: the running pipeline did not reach a checkpoint within ShutdownTimeout ({options.ShutdownTimeout}); it resumes from its previous checkpoint");
            return 1;
        }
        return 0;
    }
}
