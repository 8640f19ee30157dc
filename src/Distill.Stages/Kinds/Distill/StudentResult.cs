using MathNet.Numerics.Statistics;
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
    EpochCurve TestAccuracyCurve, DistillParameters Parameters, string? Model) : IReplicated, IBestValidationResult
{
    public double TestAccuracyAtBestValidation { get; init; } = double.NaN;

    /// <summary>The replicate group of the stage whose weights the student started from (inputs.init), if any.</summary>
    public string? InitGroup { get; init; }

    /// <summary>" (ce-weight 0)": the loss's keys whose values differ from the method's defaults.</summary>
    private static string Changed(Choice loss)
    {
        static string Text(object? value) => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        var fields = Losses.DistillationLosses.All.FirstOrDefault(m => m.Spec.Name == loss.Name)?.Spec.Fields ?? [];
        var changed = fields.Where(f => f.Default is not global::Distill.Pipelines.ParameterSet && loss.Keys.TryGetValue(f.Name, out var value) && Text(value) != Text(f.Default))
            .Select(f => loss.Keys.TryGetValue(f.Name, out var value) ? $"{f.Name} {Text(value)}" : f.Name).ToList();
        return changed.Count == 0 ? "" : $" ({string.Join(", ", changed)})";
    }

    /// <summary>The replicate group of the train stage behind the teacher (students of one teacher setting pair up by seed).</summary>
    public string? TeacherGroup { get; init; }

    /// <summary>The last epoch's test NLL and ECE (15 bins): what every table reports, as for accuracy.</summary>
    public double TestNll { get; init; } = double.NaN;

    public double TestEce { get; init; } = double.NaN;

    /// <summary>The student's diffusion toward its stage's similar and dissimilar class pairs (`diffusion`); NaN when not measured.</summary>
    public double DiffusionSimilar { get; init; } = double.NaN;

    public double DiffusionDissimilar { get; init; } = double.NaN;

    /// <summary>The median wall time of an epoch, evaluation included.</summary>
    public double SecondsPerEpoch { get; init; } = double.NaN;

    /// <summary>
    /// How the student learned: "kd, beta 1, student at T = 1 (Müller et al.)", "kd, beta 1, student at T, x T^2
    /// (Chandrasegaran et al.)", another kd form (with its divergence and logit standardization when not the plain
    /// ones), or the loss name; the published forms are named.
    /// </summary>
    public string Form
    {
        get
        {
            var p = Parameters;
            var from = InitGroup is null ? "" : $", from {InitGroup}";
            var standardized = p.LogitStandardization ? ", logit standardization" : "";
            if (p.Loss.Name != Losses.KdMethod.Name) return p.Loss.Name + Changed(p.Loss) + standardized + from;
            var divergence = p.Divergence switch
            {
                Learning.Training.SoftTargetDivergence.ReverseKl => ", reverse KL",
                Learning.Training.SoftTargetDivergence.Jsd => $", JSD (beta {ReportFormat.F(p.JsdBeta)})",
                _ => "",
            };
            var student = p.StudentTemperature == 1 ? "student at T = 1"
                : p.StudentTemperature == p.Temperature ? "student at T" : $"student at T = {ReportFormat.F(p.StudentTemperature)}";
            var named = PublishedForm switch
            {
                KdForm.Muller => " (Müller et al.)",
                KdForm.Chandrasegaran => " (Chandrasegaran et al.)",
                KdForm.Both => " (Müller et al. = Chandrasegaran et al. at T = 1)",
                _ => "",
            };
            return $"kd, beta {ReportFormat.F(p.Beta)}, {student}{(p.TSquared ? ", x T^2" : "")}{divergence}{standardized}{named}{from}";
        }
    }

    /// <summary>
    /// Which published KD form the loss is, both without a cross-entropy term (beta 1), forward KL on raw logits:
    /// Müller et al.'s H(p_t(T), softmax(z_s)) or Chandrasegaran et al.'s T^2 KL(p_t(T) || p_s(T)); at T = 1 they are one.
    /// </summary>
    public KdForm PublishedForm
    {
        get
        {
            var p = Parameters;
            if (p.Loss.Name != Losses.KdMethod.Name || p.Beta != 1 || p.LogitStandardization || p.Divergence != Learning.Training.SoftTargetDivergence.ForwardKl || InitGroup is not null)
                return KdForm.Other;
            bool muller = p.StudentTemperature == 1 && (!p.TSquared || Temperature == 1);
            bool chandrasegaran = p.StudentTemperature == Temperature && (p.TSquared || Temperature == 1);
            return muller && chandrasegaran ? KdForm.Both : muller ? KdForm.Muller : chandrasegaran ? KdForm.Chandrasegaran : KdForm.Other;
        }
    }
}

/// <summary>The published KD forms a student's loss can be (<see cref="StudentResult.PublishedForm"/>).</summary>
public enum KdForm { Other, Muller, Chandrasegaran, Both }

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
                    InitGroup = s.Definition.Inputs.TryGetValue(DistillKind.InitRole, out var init) && init.Count == 1 ? r.GroupOf(init[0]) : null,
                    TestNll = ResultReader.Metric(s, MetricNames.TestNll),
                    TestAccuracyAtBestValidation = ResultReader.Metric(s, MetricNames.AtBestValidation(MetricNames.TestAccuracy)),
                    TestEce = ResultReader.Metric(s, MetricNames.TestEce),
                    DiffusionSimilar = ResultReader.Metric(s, MetricNames.DiffusionSimilar),
                    DiffusionDissimilar = ResultReader.Metric(s, MetricNames.DiffusionDissimilar),
                    SecondsPerEpoch = MedianEpochSeconds(s.Manifest),
                };
            })
            .OrderBy(s => s.TeacherAlpha).ThenBy(s => s.Temperature).ThenBy(s => s.Id, StringComparer.Ordinal);

    private static double MedianEpochSeconds(StageManifest manifest) =>
        manifest.EpochMetrics.Select(e => e.Values.GetValueOrDefault(MetricNames.Seconds, double.NaN)).Where(double.IsFinite).Median();
}
