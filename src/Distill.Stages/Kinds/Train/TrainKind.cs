using Distill.Learning.Data;
using Distill.Learning.Models.Interop;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Datasets;
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
        Revision = 1,
        Lineage = LineageRole.Origin,
        RunsNetworks = true,
        LabelSmoothing = p => ParameterRecords.Read<TrainParameters>(p).Alpha,
        Work = Work,
    };

    public override StageKindSpec Spec => Definition;

    /// <summary>Training, plus the probe's forward passes every epoch (two classes' examples, each augmented).</summary>
    private static TrainingWork Work(ParameterSet keys)
    {
        var p = ParameterRecords.Read<TrainParameters>(keys);
        var probe = p.MutualInformation is { Enabled: true } mi ? 2.0 * mi.ExamplesPerClass * mi.Augmentations : 0;
        return p.Training.Work(probe);
    }

    public override void Check(StageChecks checks, BoundStage stage)
    {
        CheckTorchScript(checks, stage);
        if (checks.Dataset(stage.Dataset) is not { } dataset) return;
        checks.ResolveClasses(stage, dataset, "mutual-information", "classes");
        if (stage.Parameters.GetValueOrDefault("mutual-information") is ParameterSet { } probe
            && ParameterRecords.Read<MutualInformationParameters>(probe).Augmentation == ProbeViews.Training
            && ParameterRecords.Read<AugmentationParameters>(dataset.Parameters.GetMap("augmentation")).ToSpec().IsIdentity)
            checks.Error(stage, $"mutual-information.augmentation 'training' needs views that differ, but dataset '{dataset.Name}' trains without augmentation (every probe view would be the same image, and the estimate log N); use crop-flip, or give the dataset an augmentation",
                "mutual-information", "augmentation");
    }

    /// <summary>A `torchscript` model is imported from its file, never trained, and only that format holds one.</summary>
    private static void CheckTorchScript(StageChecks checks, BoundStage stage)
    {
        bool script = checks.Model(stage.Model)?.Architecture == Models.TorchScriptArchitecture.Name;
        // A format the binder rejected is absent: its error is already reported.
        bool scriptFile = stage.Parameters.GetValueOrDefault("weights") is ParameterSet { } weights && weights.ContainsKey("format")
            && ParameterRecords.Read<ImportedWeights>(weights).Format == ImportFormat.Torchscript;
        if (script && !scriptFile)
            checks.Error(stage, $"model '{stage.Model}' is a torchscript model: it is imported, not trained; give the stage `weights: {{ format: torchscript, path: ... }}`", "model");
        else if (scriptFile && !script)
            checks.Error(stage, $"weights.format torchscript needs a model with `architecture: torchscript`; '{stage.Model}' is {checks.Model(stage.Model)?.Architecture}", "weights", "format");
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
    [Key("augmentations", "Random augmentations per example.", Min = 2)] int Augmentations = 5,
    [Key("augmentation", "Views the probe measures through. auto: the dataset's training augmentation, or crop-flip when it has none; training: exactly the training augmentation (the teacher knows these views; needs a dataset with augmentation, since identical views would make every example distinct and the estimate log N); crop-flip: a random crop after 4-pixel padding and a horizontal flip, the paper's, whatever the teacher trained with.", SeedOmitsDefault = true, Checked = "training needs a dataset with augmentation")]
    ProbeViews Augmentation = ProbeViews.Auto)
{
    /// <summary>The paper's probe views: random crop after 4-pixel zero padding, and a horizontal flip.</summary>
    public static readonly AugmentationSpec CropFlip = new(4, true);

    /// <summary>The views the probe draws, given the dataset's training augmentation.</summary>
    public AugmentationSpec ProbeAugmentation(AugmentationSpec training) => Augmentation switch
    {
        ProbeViews.Auto => training.IsIdentity ? CropFlip : training,
        ProbeViews.Training => training,
        ProbeViews.CropFlip => CropFlip,
        _ => throw new ArgumentOutOfRangeException(nameof(Augmentation), Augmentation, null),
    };
}

/// <summary>What the mutual-information probe measures through (see <see cref="MutualInformationParameters.Augmentation"/>).</summary>
public enum ProbeViews { Auto, Training, CropFlip }

/// <summary>The formats a train stage imports weights from.</summary>
public enum ImportFormat { Pytorch, Safetensors, Torchscript }

/// <summary>Whose parameter names an imported weights file uses (<see cref="WeightsLayout"/>; the pipeline's words).</summary>
public enum ImportLayout { Auto, Distill, Repdistiller }

/// <summary>A train stage's `weights:`: a model file from another program to import instead of training (path as written).</summary>
public sealed record ImportedWeights(
    [Key("format", "pytorch (a torch.save file, zip or legacy pre-1.6 format: a state_dict, or a checkpoint whose `model` or `state_dict` entry is one), safetensors, or torchscript (torch.jit.save; the model's architecture is then `torchscript`).")] ImportFormat Format,
    [Key("path", "The weights file; relative paths are relative to the pipeline file.", HashesFiles = true, Checked = "must exist")] string Path,
    [Key("layout", "Whose parameter names the file uses: distill (tools/pytorch-reference/distill_models.py), repdistiller (RepDistiller's and mdistiller's CIFAR models: resnet20..110 with `shortcut: projection`, resnet8x4/32x4 as `resnet-x4`, wrn_*, vgg*_bn as `vgg`), or auto (whichever names every tensor).")]
    ImportLayout Layout = ImportLayout.Auto)
{
    public WeightsLayout WeightsLayout => Layout switch
    {
        ImportLayout.Distill => WeightsLayout.Distill,
        ImportLayout.Repdistiller => WeightsLayout.RepDistiller,
        _ => WeightsLayout.Auto,
    };
}

/// <summary>`train`: its keys, declared once (the catalogue's specs are read from this record).</summary>
public sealed record TrainParameters(
    TrainingParameters Training,
    [Key("alpha", "Label smoothing: target (1 - alpha) on the true class plus alpha / K on every class.", Min = 0, Max = 1, ExclusiveMax = true)]
    double Alpha = 0,
    [Key("mutual-information", "Per-epoch estimate of the mutual information between input index and logit difference.")]
    MutualInformationParameters MutualInformation = null!,
    [Key("tensorboard", "Also write TensorBoard event files.", AffectsResult = false)] bool TensorBoard = true,
    [Key("weights", "Import the model instead of training it: a file saved by PyTorch (`format: pytorch`, torch.save: a state_dict or a checkpoint holding one, RepDistiller's and mdistiller's included) or a `.safetensors` file, with Distill's parameter names or RepDistiller's (`layout`). The stage evaluates and exports it like a trained one; the training keys are then unused. The file's SHA-256 is part of the stage key.")]
    ImportedWeights? Weights = null);
