using System.CommandLine;
using Distill.Cli.Engines;
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
        var engine = EngineOptions.Engine([.. Engines.Engines.All.Where(e => e.Worker is not null)]);
        var connection = EngineOptions.Connection();
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
        return WorkerHost.Engine(options.Engine).Run(host, options);
    }
}
