using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Engine;

namespace Distill.Stages.Kinds.ImportLogits;

/// <summary>`import-logits`: a teacher's logits computed elsewhere, checked against the dataset and read like a cache.</summary>
public sealed class ImportLogitsKind : StageKind
{
    public const string Name = "import-logits";

    public static readonly StageKindSpec Definition = new(Name,
        "Takes a teacher's logits computed elsewhere (.npy files, e.g. from a large PyTorch model) and checks them against the dataset, for distill and calibrate stages to read like a cache.",
        StageReferences.Dataset,
        [
            P.Str("path", "Folder holding logits-<split>.npy (float32, examples x classes), labels-<split>.npy and indices-<split>.npy (integers, one per example: its label and its index in the published split; the training split for train and validation) for every split; relative paths are relative to the pipeline file. Its files' SHA-256 are part of the stage key.", required: true) with { HashesFiles = true },
            new()
            {
                Name = "splits", Type = ParameterType.EnumList, Values = ["train", "validation", "test"], MinItems = 1,
                Default = new List<object> { "train", "validation", "test" }, Description = "Splits to import (a distill stage reads train; calibrate reads its fit and eval splits).",
            },
            P.Num("alpha", 0, "Label smoothing the external teacher was trained with, for the report's grouping.", min: 0, max: 1, exMax: true),
        ],
        [])
    {
        // Stands in for a train stage: the logits' origin.
        Lineage = LineageRole.Origin,
        LabelSmoothing = p => p.GetDouble("alpha"),
    };

    public override StageKindSpec Spec => Definition;

    public override IStageExecutor CreateExecutor() => new ImportLogitsExecutor();
}

/// <summary>`import-logits` (see <see cref="ImportLogitsKind.Definition"/>).</summary>
public sealed record ImportLogitsParameters(string Path, IReadOnlyList<string> Splits, double Alpha) : IStageParameters<ImportLogitsParameters>
{
    public static ImportLogitsParameters From(ParameterSet p) => new(p.GetString("path"), p.GetStrings("splits"), p.GetDouble("alpha"));
}
