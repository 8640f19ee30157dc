namespace Distill.Pipelines.Catalogue;

/// <summary>A stage kind's parameters as one typed record, read from the resolved values once.</summary>
public interface IStageParameters<TSelf> where TSelf : IStageParameters<TSelf>
{
    /// <summary>Reads the record from a stage's resolved parameters (defaults already filled in by the binder).</summary>
    static abstract TSelf From(ParameterSet parameters);
}

/// <summary>The keys `train` and `distill` share (StageKinds' training keys).</summary>
public sealed record TrainingParameters(
    int Epochs, int BatchSize, double LearningRate, double Momentum, bool Nesterov, double WeightDecay,
    string Schedule, IReadOnlyList<double> Milestones, double LearningRateDecay, double ClipGradNorm,
    double CheckpointMinutes, int EvalBatchSize, bool TensorBoard)
{
    public static TrainingParameters From(ParameterSet p) => new(
        p.GetInt("epochs"), p.GetInt("batch-size"), p.GetDouble("lr"), p.GetDouble("momentum"), p.GetBool("nesterov"),
        p.GetDouble("weight-decay"), p.GetString("schedule"), p.GetDoubles("milestones"), p.GetDouble("lr-decay"),
        p.GetDouble("clip-grad-norm"), p.GetDouble("checkpoint-minutes"), p.GetInt("eval-batch-size"),
        // Only `train` has the key; distill stages always log.
        !p.ContainsKey("tensorboard") || p.GetBool("tensorboard"));
}

/// <summary>The per-epoch mutual-information probe of a `train` stage.</summary>
public sealed record MutualInformationParameters(IReadOnlyList<object> Classes, int ExamplesPerClass, int Augmentations);

/// <summary>A train stage's `weights:`: a model file from another program to import instead of training (path as written).</summary>
public sealed record ImportedWeights(string Format, string Path);

/// <summary>`train` (see <see cref="StageKinds.TrainSpec"/>).</summary>
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

/// <summary>`import-logits` (see <see cref="StageKinds.ImportLogitsSpec"/>).</summary>
public sealed record ImportLogitsParameters(string Path, IReadOnlyList<string> Splits, double Alpha) : IStageParameters<ImportLogitsParameters>
{
    public static ImportLogitsParameters From(ParameterSet p) => new(p.GetString("path"), p.GetStrings("splits"), p.GetDouble("alpha"));
}

/// <summary>A distill stage's loss: its name and its own keys (the catalogue's variant fields, defaults filled in).</summary>
public sealed record LossParameters(string Name, ParameterSet Keys);

/// <summary>`distill` (see <see cref="StageKinds.DistillSpec"/>).</summary>
public sealed record DistillParameters(
    TrainingParameters Training, double Temperature, double StudentTemperature, double Beta, bool TSquared, LossParameters Loss, bool LiveTeacher, int Views)
    : IStageParameters<DistillParameters>
{
    public static DistillParameters From(ParameterSet p)
    {
        var loss = p.GetMap("loss");
        return new(TrainingParameters.From(p), p.GetDouble("temperature"), p.GetDouble("student-temperature"), p.GetDouble("beta"), p.GetBool("t-squared"),
            new LossParameters(loss.GetString("name"), loss), p.GetString("teacher-source") == "live", p.GetInt("views"));
    }
}

/// <summary>`cache-logits` (see <see cref="StageKinds.CacheLogitsSpec"/>).</summary>
public sealed record CacheLogitsParameters(IReadOnlyList<string> Splits, int Views, int BatchSize) : IStageParameters<CacheLogitsParameters>
{
    public static CacheLogitsParameters From(ParameterSet p) => new(p.GetStrings("splits"), p.GetInt("views"), p.GetInt("batch-size"));
}

/// <summary>`calibrate` (see <see cref="StageKinds.CalibrateSpec"/>).</summary>
public sealed record CalibrateParameters(int Bins, string FitSplit, string EvalSplit) : IStageParameters<CalibrateParameters>
{
    public static CalibrateParameters From(ParameterSet p) => new(p.GetInt("bins"), p.GetString("fit-split"), p.GetString("eval-split"));
}

/// <summary>`project` (see <see cref="StageKinds.ProjectSpec"/>).</summary>
public sealed record ProjectParameters(IReadOnlyList<object> Classes, int ExamplesPerClass) : IStageParameters<ProjectParameters>
{
    public static ProjectParameters From(ParameterSet p) => new(p.GetList("classes"), p.GetInt("examples-per-class"));
}

/// <summary>`report` (see <see cref="StageKinds.ReportSpec"/>).</summary>
public sealed record ReportParameters(string? Title, string? CompareWith) : IStageParameters<ReportParameters>
{
    public static ReportParameters From(ParameterSet p) => new(p.TryGetString("title"), p.TryGetString("compare-with"));
}

/// <summary>The keys of `loss: dkd` (see <see cref="StageKinds.DistillSpec"/>).</summary>
public sealed record DecoupledLossParameters(double Alpha, double Beta, double CrossEntropyWeight)
{
    public static DecoupledLossParameters From(ParameterSet loss) => new(loss.GetDouble("alpha"), loss.GetDouble("beta"), loss.GetDouble("ce-weight"));
}

/// <summary>A dataset entry's keys (see <see cref="DatasetKinds"/>); kind-specific keys are null where the kind has none.</summary>
public sealed record DatasetParameters(
    int Validation, int? TrainSubset, int? TestSubset, bool StratifiedSubset, int CropPadding, bool Flip,
    bool Download, string? Labels, int? ImageSize)
{
    public static DatasetParameters From(ParameterSet p)
    {
        var subset = p.TryGetMap("subset");
        var augmentation = p.GetMap("augmentation");
        return new(p.GetInt("validation"), subset?.TryGetInt("train"), subset?.TryGetInt("test"), subset?.TryGetString("mode") == "stratified",
            augmentation.GetInt("crop-padding"), augmentation.GetBool("flip"),
            p.ContainsKey("download") && p.GetBool("download"), p.TryGetString("labels"), p.TryGetInt("image-size"));
    }
}

/// <summary>A model entry's keys, with the catalogue's defaults for an architecture that has none (AlexNet).</summary>
public sealed record ModelParameters(string Architecture, int Depth, int Width)
{
    public static ModelParameters From(ModelDefinition model) => new(
        model.Architecture,
        model.Parameters.TryGetInt("depth") ?? Architectures.DefaultInt(Architectures.ResNet, "depth"),
        model.Parameters.TryGetInt("width") ?? Architectures.DefaultInt(Architectures.ResNet, "width"));
}
