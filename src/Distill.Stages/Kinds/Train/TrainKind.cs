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
        [
            .. TrainingKeys.All,
            P.Num("alpha", 0, "Label smoothing: target (1 - alpha) on the true class plus alpha / K on every class.", min: 0, max: 1, exMax: true),
            P.Map("mutual-information", "Per-epoch estimate of the mutual information between input index and logit difference.", optional: false,
                P.Bool("enabled", false, "Run the probe at the end of every epoch."),
                P.Classes("classes", 2, "The two classes (names or 0-based indices) whose logit difference is measured.", 0, 1),
                P.Int("examples-per-class", 300, "Training examples taken from each of the two classes.", min: 2),
                P.Int("augmentations", 5, "Random augmentations per example.", min: 2)),
            P.Bool("tensorboard", true, "Also write TensorBoard event files.", affectsResult: false),
            P.Map("weights", "Import the model instead of training it: a state_dict saved by PyTorch (`format: pytorch`, torch.save) or a `.safetensors` file, with the parameter names of tools/pytorch-reference/distill_models.py. The stage evaluates and exports it like a trained one; the training keys are then unused. The file's SHA-256 is part of the stage key.", optional: true,
                P.Enum("format", null, "pytorch (a torch.save state_dict) or safetensors.", "pytorch", "safetensors") with { Required = true },
                P.Str("path", "The weights file; relative paths are relative to the pipeline file.", required: true) with { HashesFiles = true }),
        ],
        [])
    {
        Lineage = LineageRole.Origin,
        LabelSmoothing = p => p.GetDouble("alpha"),
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
public sealed record MutualInformationParameters(IReadOnlyList<object> Classes, int ExamplesPerClass, int Augmentations);

/// <summary>A train stage's `weights:`: a model file from another program to import instead of training (path as written).</summary>
public sealed record ImportedWeights(string Format, string Path);

/// <summary>`train` (see <see cref="TrainKind.Definition"/>).</summary>
public sealed record TrainParameters(TrainingParameters Training, double Alpha, MutualInformationParameters? MutualInformation, ImportedWeights? Weights = null)
    : IStageParameters<TrainParameters>
{
    public static TrainParameters From(ParameterSet p) => new(
        TrainingParameters.From(p), p.GetDouble("alpha"),
        p.TryGetMap("mutual-information") is { } mi && mi.GetBool("enabled")
            ? new MutualInformationParameters(mi.GetList("classes"), mi.GetInt("examples-per-class"), mi.GetInt("augmentations"))
            : null,
        p.TryGetMap("weights") is { } w ? new ImportedWeights(w.GetString("format"), w.GetString("path")) : null);
}
