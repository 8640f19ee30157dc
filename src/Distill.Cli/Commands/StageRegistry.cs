using Distill.Stages.Kinds;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>The engine of this program: every stage kind, able to run stages side by side in processes of their own (`run --jobs N`).</summary>
internal static class StageRegistry
{
    public static PipelineRunner CreateRunner() => new(StageKindRegistry.Executors(), new StageProcessLauncher());
}
