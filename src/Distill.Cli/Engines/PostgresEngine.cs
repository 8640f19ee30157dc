using Distill.Cli.Cluster;
using Distill.Cli.Worker;
using Distill.Stages.Engine;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Distill.Cli.Engines;

/// <summary>Stage jobs in Hangfire on PostgreSQL, shared by any number of workers, with a web dashboard.</summary>
internal sealed class PostgresEngine : IEngine, IEngineWorker, IEngineDashboard
{
    public string Name => "postgres";

    public string Description => "postgres (Hangfire on PostgreSQL; needs --connection)";

    public (int Code, string Message)? Unavailable(EngineCall call) =>
        string.IsNullOrWhiteSpace(call.Connection) ? (2, ClusterConnection.Missing)
        : ClusterConnection.Unreachable(call.Connection) is { } unreachable ? (1, unreachable)
        : null;

    public int Submit(EngineCall call, string file) => ClusterSubmitter.Submit(file, call.Root, call.Connection!, call.Output);

    public int Cancel(EngineCall call, string run)
    {
        var layout = new ClusterLayout(call.Root);
        IReadOnlyList<string> submissions;
        try { submissions = ClusterCancellation.Cancel(ClusterStorage.Create(call.Connection!), layout, run); }
        catch (ArgumentException e)
        {
            call.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (submissions.Count == 0)
        {
            call.Error.WriteLine($"error: nothing to cancel: no submission of '{run}' in {layout.Pipelines}");
            return 1;
        }
        call.Output.WriteLine($"Cancelled {string.Join(", ", submissions)}: running stages checkpoint and stop within a few seconds, queued ones will not start");
        return 0;
    }

    public int Status(EngineCall call, string? run, IAnsiConsole console)
    {
        ClusterStatus.Write(ClusterStorage.Create(call.Connection!), console);
        return 0;
    }

    public IEngineWorker Worker => this;

    public IReadOnlyList<string> Check(WorkerOptions options) => string.IsNullOrWhiteSpace(options.Connection)
        ? ["the postgres engine needs Connection: pass --connection \"Host=...;Database=...\" (or set DISTILL_CONNECTION)"]
        : [];

    /// <summary>Hangfire's server on PostgreSQL, running stage jobs in child processes, one per slot.</summary>
    public void AddServices(IServiceCollection services, Func<IPipelineRunner>? runnerFactory)
    {
        services.AddSingleton(sp => ClusterStorage.Create(Options(sp).Connection!));
        services.AddHangfire((sp, c) => ClusterStorage.Configure(c, sp.GetRequiredService<Hangfire.PostgreSql.PostgreSqlStorage>()));
        services.AddHangfireServer((sp, o) =>
        {
            var options = Options(sp);
            o.WorkerCount = options.EffectiveSlots;
            o.Queues = [ClusterStorage.Queue];
            o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            o.ShutdownTimeout = options.ShutdownTimeout;
        });
        services.AddSingleton(sp => new DevicePool(Options(sp).DeviceList));
        services.AddTransient<StageJobs>();
    }

    public int Run(IHost host, WorkerOptions options)
    {
        host.Run(); // Hangfire's server: on SIGTERM, running stages checkpoint and their jobs go back to the queue
        return 0;
    }

    public IEngineDashboard Dashboard => this;

    public int Serve(EngineCall call, string urls, string? token)
    {
        var app = Cluster.Dashboard.Build(call.Connection!, call.Root, urls, token);
        try
        {
            app.Start();
        }
        catch (IOException e) // Kestrel: the address is in use, or cannot be bound
        {
            call.Error.WriteLine($"error: cannot serve the dashboard on {urls}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
        call.Output.WriteLine($"Dashboard on {urls} (/runs, /hangfire)");
        app.WaitForShutdown();
        return 0;
    }

    private static WorkerOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<WorkerOptions>>().Value;
}
