using Distill.Stages.Kinds;
using Distill.Stages.Engine;

namespace Distill.Cli.Commands;

/// <summary>The runner of this program: every stage kind.</summary>
internal static class StageRegistry
{
    /// <summary>Runs stages in this process, or through <paramref name="launcher"/> (side by side in processes of their own).</summary>
    public static PipelineRunner CreateRunner(IStageLauncher? launcher = null) => new(StageKindRegistry.Executors(), launcher);
}
