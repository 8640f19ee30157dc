namespace Distill.Runs;

/// <summary>
/// Names of the figures stages record (per epoch in metrics.json and metrics.csv, final in the manifest), shared by the
/// stages that write them and the report, status and progress displays that read them. docs/formats.md
/// lists them per stage kind.
/// </summary>
public static class MetricNames
{
    // Every epoch of `train` and `distill`.
    public const string TrainLoss = "train_loss";
    public const string LearningRate = "lr";
    public const string Seconds = "seconds";
    public const string ValidationAccuracy = "validation_accuracy";
    public const string ValidationNll = "validation_nll";
    public const string TestAccuracy = "test_accuracy";
    public const string TestNll = "test_nll";

    /// <summary>Accuracy on a split (lowercase split name): per epoch of train and distill, final of cache-logits and import-logits.</summary>
    public static string SplitAccuracy(string split) => $"{split}_accuracy";

    /// <summary>Mean negative log-likelihood on a split (per epoch of train and distill).</summary>
    public static string SplitNll(string split) => $"{split}_nll";

    /// <summary>Expected calibration error (15 bins) on a split (whenever train and distill evaluate it).</summary>
    public static string SplitEce(string split) => $"{split}_ece";

    public const string TestEce = "test_ece";

    // `train` and `distill` (final) with a validation split: the epoch of best validation accuracy (first on ties,
    // among evaluated epochs) and every validation and test figure at it. Never chosen on test.
    public const string BestValidationEpoch = "best_validation_epoch";

    /// <summary>A validation or test figure at <see cref="BestValidationEpoch"/>: "at_best_validation_test_accuracy".</summary>
    public static string AtBestValidation(string metric) => $"at_best_validation_{metric}";

    // `train` with the mutual-information probe.
    public const string MutualInformation = "mutual_information";
    public const string MutualInformationBound = "mutual_information_bound";
    public const string MutualInformationSeconds = "mutual_information_seconds";

    /// <summary>Wall-clock figures, which differ between identical runs: kept out of anything hashed as an output.</summary>
    public static bool IsTiming(string name) => name == Seconds || name.EndsWith("_" + Seconds, StringComparison.Ordinal);

    // `distill` (final).
    public const string TeacherGamma = "teacher_gamma";

    /// <summary>`loss: ctkd`: the temperature the curriculum learned, at the end of training.</summary>
    public const string LearnedTemperature = "learned_temperature";

    /// <summary>A distill stage's `diffusion`: mean pair diffusion over the similar and over the dissimilar (control) pairs.</summary>
    public const string DiffusionSimilar = "diffusion_similar";
    public const string DiffusionDissimilar = "diffusion_dissimilar";

    /// <summary>One declared pair's diffusion, by class indices: "diffusion_6_0".</summary>
    public static string Diffusion(int a, int b) => $"diffusion_{a}_{b}";

    // `calibrate` (final; on the eval split, before and after temperature scaling).
    public const string Accuracy = "accuracy";
    public const string Nll = "nll";
    public const string Ece = "ece";
    public const string FittedTemperature = "temperature";
    public const string NllScaled = "nll_scaled";
    public const string EceScaled = "ece_scaled";
    public const string FitEce = "fit_ece";
    public const string AccuracyScaled = "accuracy_scaled";
    public const string FitNll = "fit_nll";
    public const string FitNllScaled = "fit_nll_scaled";
    public const string EvalExamples = "eval_examples";

    // `report` (final): the verdicts of its studies, its figures and the stages it read.
    public const string FindingsAgree = "findings_agree";
    public const string FindingsDisagree = "findings_disagree";
    public const string FindingsInconclusive = "findings_inconclusive";
    public const string FindingsNotTested = "findings_not_tested";
    public const string FindingsTotal = "findings_total";
    public const string Figures = "figures";
    public const string StagesRead = "stages_read";

    // `project` (final), per model stage and split ("" for training examples, "_test" or "_validation").
    public const string ExamplesPerClass = "examples_per_class";
    public const string TightnessPrefix = "tightness_";

    public static string Tightness(string modelStageId, string splitSuffix = "") => $"{TightnessPrefix}{modelStageId}{splitSuffix}";

    public static string CentroidSpread(string modelStageId, string splitSuffix = "") => $"centroid_spread_{modelStageId}{splitSuffix}";
}
