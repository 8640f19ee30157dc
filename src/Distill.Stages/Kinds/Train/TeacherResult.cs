using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Datasets;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Train;

/// <summary>
/// A train stage's results. <see cref="Alpha"/> is its label-smoothing alpha (0: hard targets); <see cref="TrainLoss"/> the
/// last epoch's mean training loss; <see cref="ProbeSeesTrainingViews"/> whether the mutual-information probe measured
/// through the views the model trained on (null without the probe).
/// </summary>
public sealed record TeacherResult(string Id, int? Replicate, string Group, double Alpha, double ValidationAccuracy, double TestAccuracy, double TestNll, int Epochs,
    EpochCurve TestAccuracyCurve, EpochCurve MutualInformation, double MutualInformationBound, string? Model, double TrainLoss = double.NaN,
    bool? ProbeSeesTrainingViews = null) : IReplicated, IBestValidationResult
{
    public double TestAccuracyAtBestValidation { get; init; } = double.NaN;
}

/// <summary>Reads train stages' results for reports.</summary>
internal static class TeacherResults
{
    public static IEnumerable<TeacherResult> Read(ResultReader r, IReadOnlyList<StageInputRef> stages) =>
        stages.Select(t => new TeacherResult(t.Definition.Id, r.ReplicateOf(t.Definition.Id), r.GroupOf(t.Definition.Id), r.AlphaOf(t.Definition.Id),
                ResultReader.Metric(t, MetricNames.ValidationAccuracy), ResultReader.Metric(t, MetricNames.TestAccuracy), ResultReader.Metric(t, MetricNames.TestNll), t.Manifest.EpochMetrics.Count,
                EpochCurve.Of(t.Manifest, MetricNames.TestAccuracy), EpochCurve.Of(t.Manifest, MetricNames.MutualInformation),
                ResultReader.Metric(t, MetricNames.MutualInformationBound), t.Definition.Model, ResultReader.Metric(t, MetricNames.TrainLoss),
                ProbeSeesTrainingViews(r, t.Definition))
            {
                TestAccuracyAtBestValidation = ResultReader.Metric(t, MetricNames.AtBestValidation(MetricNames.TestAccuracy)),
            })
            .OrderBy(t => t.Alpha).ThenBy(t => t.Id, StringComparer.Ordinal);

    private static bool? ProbeSeesTrainingViews(ResultReader r, StageDefinition stage)
    {
        var probe = ParameterRecords.Read<TrainParameters>(stage.Parameters).MutualInformation;
        if (!probe.Enabled || stage.Dataset is not { } name) return null;
        var training = ParameterRecords.Read<AugmentationParameters>(r.Pipeline.Datasets[name].Parameters.GetMap("augmentation")).ToSpec();
        return probe.ProbeAugmentation(training) == training;
    }
}
