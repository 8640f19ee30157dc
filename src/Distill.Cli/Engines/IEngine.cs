using Distill.Cli.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Distill.Cli.Engines;

/// <summary>What a command hands an engine: the shared root, the connection (where the engine has a server) and where to write.</summary>
internal sealed record EngineCall(string Root, string? Connection, TextWriter Output, TextWriter Error);

/// <summary>
/// An engine behind `--engine`: how `submit`, `status`, `cancel`, `worker`, `dashboard` and `run` reach it. Every engine
/// schedules by the engine's one scheduler (Distill.Stages.Engine.DagSchedule: ready, blocked, cancelled and failed
/// mean the same everywhere). A new engine is one class and one line in <see cref="Engines.All"/>; no command names it.
/// </summary>
internal interface IEngine
{
    /// <summary>The `--engine` value.</summary>
    string Name { get; }

    /// <summary>One clause for `--engine`'s help.</summary>
    string Description { get; }

    /// <summary>Why no command can reach the engine now (no connection given, the scheduler's tools missing): the exit
    /// code and the one line to print; null when it is reachable. Checked before every command, so it is the only line.</summary>
    (int Code, string Message)? Unavailable(EngineCall call) => null;

    /// <summary>Validates the pipeline and hands it to the engine; the exit code.</summary>
    int Submit(EngineCall call, string file);

    /// <summary>Cancels the run's submissions: running stages checkpoint and stop, waiting ones never start.</summary>
    int Cancel(EngineCall call, string run);

    /// <summary>What `distill status` adds after the runs and their stages (workers, jobs, blocked stages); the exit code.</summary>
    int Status(EngineCall call, string? run, IAnsiConsole console) => 0;

    /// <summary>The worker this engine's `distill worker` runs, or null for an engine without one (its scheduler runs the jobs).</summary>
    IEngineWorker? Worker => null;

    /// <summary>The engine's web dashboard, or null for an engine without one.</summary>
    IEngineDashboard? Dashboard => null;

    /// <summary>How `distill run` runs a pipeline with this engine in the foreground, or null for an engine that only takes
    /// submissions (its workers or its scheduler run the stages).</summary>
    IEngineForeground? Foreground => null;
}

/// <summary>A web dashboard of an engine.</summary>
internal interface IEngineDashboard
{
    /// <summary>Serves on <paramref name="urls"/> until stopped; the exit code.</summary>
    int Serve(EngineCall call, string urls, string? token);
}

/// <summary>The long-running side of an engine: the services `distill worker` hosts, and how it ends.</summary>
internal interface IEngineWorker
{
    /// <summary>What the worker's settings lack for this engine, one line each (checked when the host starts).</summary>
    IReadOnlyList<string> Check(WorkerOptions options) => [];

    void AddServices(IServiceCollection services, Func<Distill.Stages.Engine.IPipelineRunner>? runnerFactory);

    /// <summary>Runs the built host until it stops; the exit code.</summary>
    int Run(IHost host, WorkerOptions options);
}
