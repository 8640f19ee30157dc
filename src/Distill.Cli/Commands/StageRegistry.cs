using Distill.Stages.Engine;
using Distill.Stages.Executors;

namespace Distill.Cli.Commands;

/// <summary>The stage kinds this build can run.</summary>
internal static class StageRegistry
{
    public static IReadOnlyList<IStageExecutor> Executors() =>
    [
        new TrainExecutor(),
        new CacheLogitsExecutor(),
        new ImportLogitsExecutor(),
        new DistillExecutor(),
        new CalibrateExecutor(),
        new ProjectExecutor(),
        new ReportExecutor(),
    ];

    /// <summary>The engine, able to run stages side by side in processes of their own (`run --jobs N`).</summary>
    public static PipelineRunner CreateRunner() => new(Executors(), new StageProcessLauncher());
}
