using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Distill;

/// <summary>
/// A distill stage's results: the train stage behind its teacher, that teacher's alpha, the temperature of its
/// targets, and the loss's form (<see cref="Form"/>).
/// </summary>
public sealed record StudentResult(string Id, int? Replicate, string Group, string? Teacher, double TeacherAlpha, double Temperature, double TeacherGamma, double TestAccuracy,
    EpochCurve TestAccuracyCurve, DistillParameters Parameters, string? Model) : IReplicated
{
    /// <summary>The replicate group of the train stage behind the teacher (students of one teacher setting pair up by seed).</summary>
    public string? TeacherGroup { get; init; }

    /// <summary>The last epoch's test NLL and ECE (15 bins): what every table reports, as for accuracy.</summary>
    public double TestNll { get; init; } = double.NaN;

    public double TestEce { get; init; } = double.NaN;

    /// <summary>The median wall time of an epoch, evaluation included.</summary>
    public double SecondsPerEpoch { get; init; } = double.NaN;

    /// <summary>How the student learned: "kd, beta 1, student at T = 1" (the paper's form), "kd, ..., student at T, x T^2" (Hinton's), or the loss name.</summary>
    public string Form
    {
        get
        {
            var p = Parameters;
            if (p.Loss.Name != Losses.KdMethod.Name) return p.Loss.Name;
            var student = p.StudentTemperature == 1 ? "student at T = 1"
                : p.StudentTemperature == p.Temperature ? "student at T" : $"student at T = {ReportFormat.F(p.StudentTemperature)}";
            return $"kd, beta {ReportFormat.F(p.Beta)}, {student}{(p.TSquared ? ", x T^2" : "")}";
        }
    }
}

/// <summary>Reads distill stages' results for reports.</summary>
internal static class StudentResults
{
    public static IEnumerable<StudentResult> Read(ResultReader r, IReadOnlyList<StageInputRef> stages) =>
        stages.Select(s =>
            {
                var p = ParameterRecords.Read<DistillParameters>(s.Definition.Parameters);
                var teacher = r.Lineage.TrainStage(s.Definition.Id);
                return new StudentResult(s.Definition.Id, r.ReplicateOf(s.Definition.Id), r.GroupOf(s.Definition.Id), teacher?.Id, r.AlphaOf(s.Definition.Id), r.Lineage.Temperature(s.Definition.Id) ?? p.Temperature,
                    ResultReader.Metric(s, MetricNames.TeacherGamma), ResultReader.Metric(s, MetricNames.TestAccuracy), EpochCurve.Of(s.Manifest, MetricNames.TestAccuracy), p, s.Definition.Model)
                {
                    TeacherGroup = teacher is null ? null : r.GroupOf(teacher.Id),
                    TestNll = ResultReader.Metric(s, MetricNames.TestNll),
                    TestEce = ResultReader.Metric(s, MetricNames.TestEce),
                    SecondsPerEpoch = MedianEpochSeconds(s.Manifest),
                };
            })
            .OrderBy(s => s.TeacherAlpha).ThenBy(s => s.Temperature).ThenBy(s => s.Id, StringComparer.Ordinal);

    private static double MedianEpochSeconds(StageManifest manifest)
    {
        var seconds = manifest.EpochMetrics.Select(e => e.Values.GetValueOrDefault(MetricNames.Seconds, double.NaN)).Where(double.IsFinite).Order().ToList();
        return seconds.Count == 0 ? double.NaN : seconds.Count % 2 == 1 ? seconds[seconds.Count / 2] : (seconds[seconds.Count / 2 - 1] + seconds[seconds.Count / 2]) / 2;
    }
}
