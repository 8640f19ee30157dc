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

/// <summary>A stage kind: its parameters, whether it names a dataset and model, and its input roles.
/// <see cref="AnyInputRoles"/> kinds (report) accept any role name reading any stages.
/// <see cref="ResultNamesPipeline"/> kinds write the pipeline's name into their outputs, so their key includes it
/// (otherwise two pipelines would share one result that names only the first).
/// <see cref="UsesDatasetOnly"/> kinds name a dataset but no model (import-logits).</summary>
public sealed record StageKindSpec(
    string Name,
    string Description,
    bool UsesDatasetAndModel,
    IReadOnlyList<ParameterSpec> Parameters,
    IReadOnlyList<InputRoleSpec> Inputs,
    bool AnyInputRoles = false,
    bool ResultNamesPipeline = false,
    bool UsesDatasetOnly = false)
{
    /// <summary>The `dataset:` and `model:` keys the kind takes.</summary>
    public IReadOnlyList<ParameterSpec> ReferenceKeys =>
        UsesDatasetAndModel ? StageKinds.ReferenceKeys : UsesDatasetOnly ? [StageKinds.ReferenceKeys[0]] : [];
}

/// <summary>A dataset kind, its keys and what the loader knows of its classes and split sizes.</summary>
public sealed record DatasetKindSpec(
    string Name,
    string Description,
    IReadOnlyList<ParameterSpec> Parameters,
    int? TrainSize,
    int? TestSize,
    Func<ParameterSet, IReadOnlyList<string>?> ClassNames);

/// <summary>A model architecture and its keys.</summary>
public sealed record ArchitectureSpec(string Name, string Description, IReadOnlyList<ParameterSpec> Parameters);
