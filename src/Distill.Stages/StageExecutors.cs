using Distill.Stages.Engine;
using Distill.Stages.Executors;

namespace Distill.Stages;

/// <summary>The stage kinds this build can run: one executor per catalogue kind, registered here once.</summary>
public static class StageExecutors
{
    public static IReadOnlyList<IStageExecutor> Default { get; } =
    [
        new TrainExecutor(),
        new CacheLogitsExecutor(),
        new ImportLogitsExecutor(),
        new DistillExecutor(),
        new CalibrateExecutor(),
        new ProjectExecutor(),
        new ReportExecutor(),
    ];
}
