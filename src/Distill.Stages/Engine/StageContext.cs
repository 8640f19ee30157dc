using Distill.Learning.Randomness;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Runs;
using Distill.Stages.Data;
using static TorchSharp.torch;

namespace Distill.Stages.Engine;

/// <summary>A completed stage another stage reads from.</summary>
public sealed record StageInputRef(StageDefinition Definition, StageDirectory Directory, StageManifest Manifest);

/// <summary>Everything an executor needs to run one stage, and the ways it reports back.</summary>
public sealed class StageContext(
    PipelineDefinition pipeline,
    RunDirectory run,
    StageDefinition stage,
    StageDirectory directory,
    StageDecision decision,
    DataCatalog data,
    Device device,
    IRunObserver observer,
    Action<StageProgress, EpochMetrics> recordEpoch,
    CancellationToken stop)
{
    public PipelineDefinition Pipeline { get; } = pipeline;

    /// <summary>Which train stage, alpha, temperature and dataset stand behind any stage of the pipeline.</summary>
    public Lineage Lineage => _lineage ??= new Lineage(Pipeline);

    private Lineage? _lineage;
    public RunDirectory Run { get; } = run;
    public StageDefinition Stage { get; } = stage;
    public StageDirectory Directory { get; } = directory;
    public StageDecision Decision { get; } = decision;

    /// <summary>Completed input stages by role (the `inputs:` of the pipeline).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<StageInputRef>> Inputs { get; private set; } =
        new Dictionary<string, IReadOnlyList<StageInputRef>>();

    /// <summary>Reads the manifests of the stages this one reads from.</summary>
    public void ResolveInputs() =>
        Inputs = Stage.Inputs.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<StageInputRef>)kv.Value.Select(Completed).ToList());

    public DataCatalog Data { get; } = data;
    public Device Device { get; } = device;
    public IRunObserver Observer { get; } = observer;
    public CancellationToken Stop { get; } = stop;

    /// <summary>
    /// The root of this stage's randomness: a pure function of the pipeline seed and the replicate seed for a stage
    /// expanded from `seeds:`, so that every stage of one replicate (the hard-target and the smoothed teacher of seed
    /// 2, say) starts from the same weights and sees the same batches; otherwise of the pipeline seed and the stage's
    /// content (its seed text, which holds no name), so renaming a stage keeps its result.
    /// </summary>
    public long Seed => Stage.Replicate is { } replicate
        ? (long)DeterministicRandom.Hash(Pipeline.Seed, DeterministicRandom.HashText("replicate"), replicate)
        : (long)DeterministicRandom.Hash(Pipeline.Seed, DeterministicRandom.HashText(CanonicalJson.ForSeed(Stage, Pipeline)));

    public StageInputRef Input(string role) =>
        Inputs.TryGetValue(role, out var list) && list.Count > 0
            ? list[0]
            : throw new InvalidOperationException($"stage '{Stage.Id}' has no input '{role}'");

    /// <summary>Any completed stage of this run, e.g. the teacher behind a cache this stage reads.</summary>
    public StageInputRef Completed(string stageId)
    {
        var directory = Run.Stage(stageId) ?? throw new StageInputException($"stage '{stageId}' has not run");
        var manifest = directory.ReadManifest() ?? throw new StageInputException($"stage '{stageId}' has no manifest");
        return new StageInputRef(Pipeline.Stage(stageId), directory, manifest);
    }

    /// <summary>Records a finished epoch in the manifest (position and metrics) so `distill status` shows it.</summary>
    public void RecordEpoch(StageProgress progress, EpochMetrics metrics) => recordEpoch(progress, metrics);
}

/// <summary>What an executor hands back: completed with final metrics, or stopped after a checkpoint.</summary>
public sealed record StageResult(bool Completed, IReadOnlyDictionary<string, double> Metrics)
{
    public static StageResult Stopped { get; } = new(false, new Dictionary<string, double>());
}

/// <summary>Runs one kind of stage.</summary>
public interface IStageExecutor
{
    /// <summary>The catalogue entry this executor implements (its kind, parameters and inputs).</summary>
    StageKindSpec Spec { get; }

    /// <summary>
    /// Whether the engine re-hashes this stage's outputs against its manifest on every run, not only when it
    /// finishes: for large files other stages read, whose damage must not go unnoticed (logit caches).
    /// </summary>
    bool VerifiesOutputsOnEveryRun => false;

    StageResult Execute(StageContext context);
}

/// <summary>An executor that receives its kind's parameters as one typed record, read once from the stage.</summary>
public abstract class StageExecutor<TParameters> : IStageExecutor
{
    public abstract StageKindSpec Spec { get; }

    public virtual bool VerifiesOutputsOnEveryRun => false;

    public StageResult Execute(StageContext context) => Execute(context, ParameterRecords.Read<TParameters>(context.Stage.Parameters));

    protected abstract StageResult Execute(StageContext context, TParameters parameters);
}
