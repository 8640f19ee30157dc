using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Cli.Slurm;

/// <summary>
/// What a stage's batch job asks for and runs with. Resources: the stage's `resources:`, then the pipeline's, then the
/// kind's defaults (2 CPUs for kinds that run networks, else 1; one GPU for those when the device is cuda). The job's
/// device and threads follow them and are part of the stage's key, as on one machine: the device is cuda when the job
/// has a GPU (and the pipeline does not say cpu), the threads are the pipeline's `threads`, or else the job's cpus.
/// So the same pipeline with the same resources always has the same keys, and a serial run with `threads: N` shares
/// its results with a Slurm run whose stages have N cpus.
/// </summary>
internal static class StageCompute
{
    public const int NetworkCpus = 2;

    public static StageResources Resources(PipelineDefinition pipeline, StageDefinition stage)
    {
        var resources = stage.Resources.Over(pipeline.Resources);
        bool network = pipeline.Catalogue.Find(stage.Kind)?.RunsNetworks == true;
        return resources with
        {
            Cpus = resources.Cpus ?? (network ? NetworkCpus : 1),
            Gpus = resources.Gpus ?? (network && pipeline.Device == "cuda" ? 1 : 0),
        };
    }

    public static string Device(PipelineDefinition pipeline, StageResources resources) =>
        pipeline.Device != "cpu" && resources.Gpus > 0 ? "cuda" : "cpu";

    public static int Threads(PipelineDefinition pipeline, StageResources resources) =>
        pipeline.Threads > 0 ? pipeline.Threads : resources.Cpus ?? 1;

    /// <summary>The pipeline as the stage's job runs it (what its key is computed under).</summary>
    public static PipelineDefinition PipelineOf(PipelineDefinition pipeline, StageDefinition stage)
    {
        var resources = Resources(pipeline, stage);
        return pipeline with { Device = Device(pipeline, resources), Threads = Threads(pipeline, resources) };
    }
}
