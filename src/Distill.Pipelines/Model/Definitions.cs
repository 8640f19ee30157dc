using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines;

/// <summary>A validated pipeline: stages expanded from their matrices and listed in an order in which every
/// stage comes after the stages it reads.</summary>
public sealed record PipelineDefinition(
    string Name,
    int Seed,
    string Device,
    int Threads,
    IReadOnlyDictionary<string, DatasetDefinition> Datasets,
    IReadOnlyDictionary<string, ModelDefinition> Models,
    IReadOnlyList<StageDefinition> Stages,
    string SourcePath)
{
    public string? Description { get; init; }

    /// <summary>The pipeline's `resources:`, every stage's defaults (see <see cref="Distill.Pipelines.Catalogue.StageResources"/>).</summary>
    public Distill.Pipelines.Catalogue.StageResources Resources { get; init; } = Distill.Pipelines.Catalogue.StageResources.None;

    /// <summary>The stage kinds the pipeline was validated against.</summary>
    public required StageCatalogue Catalogue { get; init; }

    public StageDefinition Stage(string id) =>
        Stages.FirstOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"no stage '{id}' in pipeline '{Name}'");
}

/// <summary>A named dataset. <see cref="Parameters"/> hold every key of its kind with defaults applied;
/// <see cref="Path"/> is absolute (relative paths are taken from the pipeline file's folder).</summary>
public sealed record DatasetDefinition(string Name, string Kind, string Path, ParameterSet Parameters, SourceLocation Location)
{
    /// <summary>Class names when the kind fixes them (null for image-folder, whose folders name them).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}

/// <summary>A named model; <see cref="Parameters"/> hold its architecture's keys with defaults applied.</summary>
public sealed record ModelDefinition(string Name, string Architecture, ParameterSet Parameters, SourceLocation Location);

/// <summary>One stage after matrix expansion. <see cref="Inputs"/> maps each role to the ids of the stages
/// it reads (a base name and "*" already expanded); <see cref="Dataset"/> and <see cref="Model"/> are set
/// for train and distill stages. Class lists in parameters are 0-based indices wherever the dataset kind
/// fixes its class names.</summary>
public sealed record StageDefinition(
    string Id,
    string BaseName,
    string Kind,
    ParameterSet Parameters,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Inputs,
    string? Dataset,
    string? Model,
    IReadOnlyDictionary<string, object> MatrixValues,
    SourceLocation Location)
{
    /// <summary>The replicate seed this stage was expanded for (`seeds:`), or null. Stages with the same replicate
    /// seed draw the same random streams, so runs differing in one setting (alpha) are paired.</summary>
    public int? Replicate => MatrixValues.TryGetValue(Graph.MatrixExpander.SeedVariable, out var seed) && seed is int s ? s : null;

    /// <summary>The stage's own `resources:` (the pipeline's fill in what it leaves unset).</summary>
    public Distill.Pipelines.Catalogue.StageResources Resources { get; init; } = Distill.Pipelines.Catalogue.StageResources.None;

    /// <summary>Ids of every stage this one reads, each once, in role order.</summary>
    public IReadOnlyList<string> Dependencies => Inputs.Values.SelectMany(v => v).Distinct().ToList();

    /// <summary>The stage's identity as canonical JSON (sorted keys, invariant numbers, defaults applied, its
    /// dataset and model inlined, settings that do not change results left out). The run store hashes it,
    /// with the keys of the input stages, into the stage key.</summary>
    public string CanonicalJson(PipelineDefinition pipeline, IReadOnlyDictionary<string, string>? inputKeys = null) =>
        Distill.Pipelines.CanonicalJson.ForStage(this, pipeline, inputKeys);
}
