using Distill.Cli.Queue;
using Distill.Cli.Worker;
using Distill.Stages.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Distill.Cli.Engines;

/// <summary>The embedded queue of pipeline files under the root: no server; a worker runs one pipeline at a time.</summary>
internal sealed class FilesEngine : IEngine, IEngineWorker
{
    public string Name => "files";

    public string Description => "files (the embedded queue under --root)";

    public int Submit(EngineCall call, string file)
    {
        var layout = new QueueLayout(call.Root);
        var result = new PipelineSubmitter(layout).Submit(file, DateTimeOffset.UtcNow);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors) call.Error.WriteLine(error);
            return 1;
        }
        call.Output.WriteLine($"Queued {Path.GetFileName(result.QueuedPath)} in {layout.Queue}");
        return 0;
    }

    public int Cancel(EngineCall call, string run)
    {
        var layout = new QueueLayout(call.Root);
        CancelResult result;
        try { result = new RunCanceller(layout).Cancel(run, DateTimeOffset.UtcNow); }
        catch (ArgumentException e)
        {
            call.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        foreach (var file in result.CancelledPending)
            call.Output.WriteLine($"Removed {file} from the queue (now in {layout.Cancelled})");
        foreach (var file in result.StopRequested)
            call.Output.WriteLine($"Asked the worker running {file} to stop after its current step ({Path.Combine(layout.CancelRequests, run)}); it will move to {layout.Cancelled}");
        if (!result.NothingFound) return 0;
        call.Error.WriteLine($"error: nothing to cancel: no queued or running pipeline named '{run}' in {layout.Queue}");
        return 1;
    }

    public IEngineWorker Worker => this;

    public void AddServices(IServiceCollection services, Func<IPipelineRunner>? runnerFactory)
    {
        services.AddSingleton(runnerFactory ?? (() => Commands.StageRegistry.CreateRunner()));
        services.AddSingleton<PipelineWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PipelineWorker>());
    }

    public int Run(IHost host, WorkerOptions options)
    {
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
