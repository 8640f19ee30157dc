using Distill.Learning.Training;
using Distill.Pipelines;

namespace Distill.Stages.Engine;

/// <summary>How stages side by side share the cores.</summary>
public static class CoreShare
{
    /// <summary>
    /// With several stages at once and `threads: 0`, each stage gets cores / slots threads (part of its key); a pipeline
    /// that pins `threads:` keeps it, so its keys (and bytes) are those of a serial run. Null: the pipeline's own setting.
    /// </summary>
    public static int? ThreadsPerStage(PipelineDefinition pipeline, int slots) =>
        slots > 1 && pipeline.Threads == 0 ? Math.Max(1, TorchRuntime.EffectiveThreads(0) / slots) : null;

    /// <summary>The request with its thread count set for its jobs, unless it sets one itself.</summary>
    public static RunRequest For(RunRequest request, PipelineDefinition pipeline) =>
        request with { Threads = request.Threads ?? ThreadsPerStage(pipeline, request.Jobs) };
}
