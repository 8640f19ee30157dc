namespace Distill.Pipelines.Catalogue;

/// <summary>An input role of a stage kind: which kinds of stage it may name and how many.</summary>
/// <param name="LeadsToModel">
/// This role names the stage whose model's outputs this stage consumes (a cache's teacher, a student's
/// teacher, a calibration's logits): the edge <see cref="Graph.Lineage"/> follows back to a train stage.
/// </param>
public sealed record InputRoleSpec(string Role, string Description, IReadOnlyList<string> Kinds, int MinStages, int MaxStages, bool LeadsToModel = false)
{
    public bool Required => MinStages > 0;
}

/// <summary>Which of the pipeline's named entries a stage kind refers to.</summary>
public enum StageReferences
{
    None,

    /// <summary>`dataset:` (import-logits).</summary>
    Dataset,

    /// <summary>`dataset:` and `model:` (the kinds that train a model).</summary>
    DatasetAndModel,
}

/// <summary>What a kind's stages are to <see cref="Graph.Lineage"/>, which walks from any stage back to the model behind it.</summary>
public enum LineageRole
{
    /// <summary>Stands behind nothing (project, report).</summary>
    None,

    /// <summary>Where a model's outputs come from: a trained model (train) or logits brought from elsewhere (import-logits).</summary>
    Origin,

    /// <summary>A model trained from another model's outputs (distill): a model stage, whose origin is upstream.</summary>
    Model,

    /// <summary>Works on the model behind its <see cref="InputRoleSpec.LeadsToModel"/> input (cache-logits, calibrate).</summary>
    Derived,
}

/// <summary>A stage kind: its parameters, whether it names a dataset and model, its input roles and its place in the lineage.</summary>
public sealed record StageKindSpec(
    string Name,
    string Description,
    StageReferences References,
    IReadOnlyList<ParameterSpec> Parameters,
    IReadOnlyList<InputRoleSpec> Inputs)
{
    /// <summary>
    /// The implementation revision: part of the key of every stage that uses this code, so results stored by an
    /// earlier revision are never reused. Bump it in the change that alters what the code computes (its bits); the
    /// golden test (tests/Distill.EndToEnd.Tests/StageKeyGoldenTests.cs) fails when the bits change without a bump.
    /// </summary>
    public required int Revision { get; init; }

    public LineageRole Lineage { get; init; }

    /// <summary>
    /// The kind's stages run a network forward (and backward): a batch scheduler gives them 2 CPUs, and a GPU when the
    /// pipeline's device is cuda, unless `resources:` says otherwise; other kinds get one CPU.
    /// </summary>
    public bool RunsNetworks { get; init; }

    /// <summary>The kind accepts any role name reading any stages (report); `*` and a report without inputs never name such stages.</summary>
    public bool AnyInputRoles { get; init; }

    /// <summary>The kind writes the pipeline's name into its outputs, so its key includes it (otherwise two pipelines would share one result that names only the first).</summary>
    public bool ResultNamesPipeline { get; init; }

    /// <summary>
    /// The kind writes stage ids into its outputs (a projection's metrics, a calibration's document, a report), so its key
    /// includes its id and its inputs' ids. Every other kind is keyed by content alone: renaming it, or its inputs, keeps it.
    /// </summary>
    public bool ResultNamesStages { get; init; }

    /// <summary>The label smoothing alpha behind an <see cref="LineageRole.Origin"/> stage, for the report's grouping.</summary>
    public Func<ParameterSet, double>? LabelSmoothing { get; init; }

    /// <summary>The teacher temperature of a <see cref="LineageRole.Model"/> stage trained from soft targets.</summary>
    public Func<ParameterSet, double>? Temperature { get; init; }

    /// <summary>The training a stage's keys ask for, read from the kind's own records; null for kinds that train nothing.</summary>
    public Func<ParameterSet, TrainingWork>? Work { get; init; }

    /// <summary>The `dataset:` and `model:` keys the kind takes.</summary>
    public IReadOnlyList<ParameterSpec> ReferenceKeys => References switch
    {
        StageReferences.DatasetAndModel => StageReferenceKeys.All,
        StageReferences.Dataset => [StageReferenceKeys.Dataset],
        _ => [],
    };
}

/// <summary>The keys naming the dataset and model of a stage.</summary>
public static class StageReferenceKeys
{
    public static readonly ParameterSpec Dataset = P.Str("dataset", "Name of an entry under 'datasets'.", required: true);
    public static readonly ParameterSpec Model = P.Str("model", "Name of an entry under 'models'.", required: true);
    public static readonly IReadOnlyList<ParameterSpec> All = [Dataset, Model];
}

/// <summary>A dataset kind, its keys and what the loader knows of its classes and split sizes.</summary>
/// <param name="Parameters">Its keys; in a catalogue, led by the `kind:` key that selects it.</param>
public sealed record DatasetKindSpec(
    string Name,
    string Description,
    IReadOnlyList<ParameterSpec> Parameters,
    int? TrainSize,
    int? TestSize,
    Func<ParameterSet, IReadOnlyList<string>?> ClassNames)
{
    /// <inheritdoc cref="StageKindSpec.Revision"/>
    public required int Revision { get; init; }
}

/// <summary>A model architecture and its keys (in a catalogue, led by the `architecture:` key that selects it).</summary>
public sealed record ArchitectureSpec(string Name, string Description, IReadOnlyList<ParameterSpec> Parameters)
{
    /// <inheritdoc cref="StageKindSpec.Revision"/>
    public required int Revision { get; init; }
}

/// <summary>A dataset kind as validation sees it (the reader that opens it lives beside it in Distill.Stages).</summary>
public interface IDatasetKind
{
    /// <summary>Its catalogue entry; its keys without the `kind:` key.</summary>
    DatasetKindSpec Spec { get; }
}

/// <summary>An architecture as validation sees it (the network it builds lives beside it in Distill.Stages).</summary>
public interface IArchitecture
{
    /// <summary>Its catalogue entry; its keys without the `architecture:` key.</summary>
    ArchitectureSpec Spec { get; }
}
