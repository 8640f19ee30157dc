using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Train;

/// <summary>`train`: a model trained with cross-entropy against label-smoothed targets, or imported from PyTorch.</summary>
public sealed class TrainKind : StageKind
{
    public const string Name = "train";

    public static readonly StageKindSpec Definition = new(Name,
        "Trains a model with cross-entropy against label-smoothed targets.", StageReferences.DatasetAndModel,
        ParameterRecords.Specs<TrainParameters>(), [])
    {
        Lineage = LineageRole.Origin,
        LabelSmoothing = p => ParameterRecords.Read<TrainParameters>(p).Alpha,
    };

    public override StageKindSpec Spec => Definition;

    public override void Check(StageChecks checks, BoundStage stage)
    {
        if (checks.Dataset(stage.Dataset) is { } dataset) checks.ResolveClasses(stage, dataset, "mutual-information", "classes");
    }

    public override IStageExecutor CreateExecutor() => new TrainExecutor();

    public override IStageReportSection CreateReportSection() => new TrainReportSection();

    public override IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => TeacherResults.Read(reader, stages);

    public override int ReportOrder => 10;
}

/// <summary>The per-epoch mutual-information probe of a `train` stage.</summary>
public sealed record MutualInformationParameters(
    [Key("enabled", "Run the probe at the end of every epoch.")] bool Enabled = false,
    [Key("classes", "The two classes (names or 0-based indices) whose logit difference is measured.", DefaultClasses = [0, 1], Checked = "known to the dataset")]
    IReadOnlyList<object> Classes = null!,
    [Key("examples-per-class", "Training examples taken from each of the two classes.", Min = 2)] int ExamplesPerClass = 300,
    [Key("augmentations", "Random augmentations per example.", Min = 2)] int Augmentations = 5);

/// <summary>The formats a train stage imports weights from.</summary>
public enum ImportFormat { Pytorch, Safetensors }

/// <summary>A train stage's `weights:`: a model file from another program to import instead of training (path as written).</summary>
public sealed record ImportedWeights(
    [Key("format", "pytorch (a torch.save state_dict) or safetensors.")] ImportFormat Format,
    [Key("path", "The weights file; relative paths are relative to the pipeline file.", HashesFiles = true, Checked = "must exist")] string Path);

/// <summary>`train`: its keys, declared once (the catalogue's specs are read from this record).</summary>
public sealed record TrainParameters(
    TrainingParameters Training,
    [Key("alpha", "Label smoothing: target (1 - alpha) on the true class plus alpha / K on every class.", Min = 0, Max = 1, ExclusiveMax = true)]
    double Alpha = 0,
    [Key("mutual-information", "Per-epoch estimate of the mutual information between input index and logit difference.")]
    MutualInformationParameters MutualInformation = null!,
    [Key("tensorboard", "Also write TensorBoard event files.", AffectsResult = false)] bool TensorBoard = true,
    [Key("weights", "Import the model instead of training it: a state_dict saved by PyTorch (`format: pytorch`, torch.save) or a `.safetensors` file, with the parameter names of tools/pytorch-reference/distill_models.py. The stage evaluates and exports it like a trained one; the training keys are then unused. The file's SHA-256 is part of the stage key.")]
    ImportedWeights? Weights = null);
