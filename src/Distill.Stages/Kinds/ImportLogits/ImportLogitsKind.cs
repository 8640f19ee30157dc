using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.Shared;

namespace Distill.Stages.Kinds.ImportLogits;

/// <summary>`import-logits`: a teacher's logits computed elsewhere, checked against the dataset and read like a cache.</summary>
public sealed class ImportLogitsKind : StageKind, ILogitCacheKind
{
    public const string Name = "import-logits";

    public static readonly StageKindSpec Definition = new(Name,
        "Takes a teacher's logits computed elsewhere (.npy files, e.g. from a large PyTorch model) and checks them against the dataset, for distill and calibrate stages to read like a cache.",
        StageReferences.Dataset,
        ParameterRecords.Specs<ImportLogitsParameters>(),
        [])
    {
        Revision = 1,
        // Stands in for a train stage: the logits' origin.
        Lineage = LineageRole.Origin,
        LabelSmoothing = p => ParameterRecords.Read<ImportLogitsParameters>(p).Alpha,
    };

    public override StageKindSpec Spec => Definition;

    public override IStageExecutor CreateExecutor() => new ImportLogitsExecutor();

    /// <summary>Imported logits are one view: the external model's own.</summary>
    public int CachedViews(ParameterSet parameters) => 1;

    /// <summary>The weights are not here: the imported files' hashes are in the key instead.</summary>
    public string TeacherWeights(StageInputRef teacher) => LogitCacheLayout.ImportedWeights;
}

/// <summary>`import-logits` (see <see cref="ImportLogitsKind.Definition"/>).</summary>
public sealed record ImportLogitsParameters(
    [Key("path", "Folder holding logits-<split>.npy (float32, examples x classes), labels-<split>.npy and indices-<split>.npy (integers, one per example: its label and its index in the published split; the training split for train and validation) for every split; relative paths are relative to the pipeline file. Its files' SHA-256 are part of the stage key.", HashesFiles = true, Checked = "must exist")]
    string Path,
    [Key("splits", "Splits to import (a distill stage reads train; calibrate reads its fit and eval splits).", Values = ["train", "validation", "test"], MinItems = 1, DefaultValues = ["train", "validation", "test"])]
    IReadOnlyList<string> Splits = null!,
    [Key("alpha", "Label smoothing the external teacher was trained with, for the report's grouping.", Min = 0, Max = 1, ExclusiveMax = true)]
    double Alpha = 0);
