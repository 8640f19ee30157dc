using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Train;

/// <summary>A train stage's results. <see cref="Alpha"/> is its label-smoothing alpha (0: hard targets).</summary>
public sealed record TeacherResult(string Id, int? Replicate, string Group, double Alpha, double ValidationAccuracy, double TestAccuracy, double TestNll, int Epochs,
    EpochCurve TestAccuracyCurve, EpochCurve MutualInformation, double MutualInformationBound, string? Model) : IReplicated;

/// <summary>Reads train stages' results for reports.</summary>
internal static class TeacherResults
{
    public static IEnumerable<TeacherResult> Read(ResultReader r, IReadOnlyList<StageInputRef> stages) =>
        stages.Select(t => new TeacherResult(t.Definition.Id, r.ReplicateOf(t.Definition.Id), r.GroupOf(t.Definition.Id), r.AlphaOf(t.Definition.Id),
                ResultReader.Metric(t, MetricNames.ValidationAccuracy), ResultReader.Metric(t, MetricNames.TestAccuracy), ResultReader.Metric(t, MetricNames.TestNll), t.Manifest.EpochMetrics.Count,
                EpochCurve.Of(t.Manifest, MetricNames.TestAccuracy), EpochCurve.Of(t.Manifest, MetricNames.MutualInformation),
                ResultReader.Metric(t, MetricNames.MutualInformationBound), t.Definition.Model))
            .OrderBy(t => t.Alpha).ThenBy(t => t.Id, StringComparer.Ordinal);
}
