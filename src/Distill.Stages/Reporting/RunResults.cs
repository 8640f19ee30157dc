using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Train;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Stages.Reporting;

/// <summary>A figure recorded once per epoch, in epoch order; empty when the stage did not record it.</summary>
public sealed record EpochCurve(IReadOnlyList<(double Epoch, double Value)> Points)
{
    public IReadOnlyList<double> Values => Points.Select(p => p.Value).ToList();

    public static EpochCurve Of(StageManifest manifest, string metric) =>
        new(manifest.EpochMetrics.Where(e => e.Values.ContainsKey(metric)).OrderBy(e => e.Epoch)
            .Select(e => ((double)e.Epoch, e.Values[metric])).ToList());
}

/// <summary>
/// Where a stage sits among replicates: its <see cref="Replicate"/> seed (its own `seeds:` value, else that of the train
/// stage behind it; null for a stage run once), and its <see cref="Group"/>, the name shared by all replicates of one setting.
/// </summary>
public interface IReplicated
{
    string Id { get; }
    int? Replicate { get; }
    string Group { get; }
}

/// <summary>A train stage's results. <see cref="Alpha"/> is its label-smoothing alpha (0: hard targets).</summary>
public sealed record TeacherResult(string Id, int? Replicate, string Group, double Alpha, double ValidationAccuracy, double TestAccuracy, double TestNll, int Epochs,
    EpochCurve TestAccuracyCurve, EpochCurve MutualInformation, double MutualInformationBound, string? Model) : IReplicated;

/// <summary>
/// A distill stage's results: the train stage behind its teacher, that teacher's alpha, the temperature of its
/// targets, and the loss's form (<see cref="Form"/>).
/// </summary>
public sealed record StudentResult(string Id, int? Replicate, string Group, string? Teacher, double TeacherAlpha, double Temperature, double TeacherGamma, double TestAccuracy,
    EpochCurve TestAccuracyCurve, DistillParameters Parameters, string? Model) : IReplicated
{
    /// <summary>How the student learned: "kd, beta 1, student at T = 1" (the paper's form), "kd, ..., student at T, x T^2" (Hinton's), or the loss name.</summary>
    public string Form
    {
        get
        {
            var p = Parameters;
            if (p.Loss.Name != "kd") return p.Loss.Name;
            var student = p.StudentTemperature == 1 ? "student at T = 1"
                : p.StudentTemperature == p.Temperature ? "student at T" : $"student at T = {ReportFormat.F(p.StudentTemperature)}";
            return $"kd, beta {ReportFormat.F(p.Beta)}, {student}{(p.TSquared ? ", x T^2" : "")}";
        }
    }
}

/// <summary>
/// A calibrate stage's results on its eval split, before and after temperature scaling, and <see cref="FitEce"/>, the ECE
/// at T = 1 on the split the temperature was fitted on (held-out data: what a smoothed alpha is chosen by, never test).
/// <see cref="Model"/> is the calibrated model's stage (a teacher, or a student: <see cref="OfStudent"/>); <see cref="Alpha"/>
/// the smoothing of the train stage behind it.
/// </summary>
public sealed record CalibrationResult(string Id, int? Replicate, string Group, string? Model, bool OfStudent, double Alpha, double Accuracy, double Ece, double FittedTemperature,
    double EceScaled, double Nll, double NllScaled, double FitEce, int Bins, string EvalSplit, string FitSplit) : IReplicated;

/// <summary>Cluster geometry of one model's penultimate activations on one split ("training", "test" or "validation").</summary>
public sealed record ProjectionSplit(string Split, double Tightness, double CentroidSpread);

/// <summary>One model of a project stage (a train stage, or a distill stage: <see cref="IsStudent"/>), with the alpha and the replicate seed of the train stage behind it.</summary>
public sealed record ProjectedModel(string StageId, int? Replicate, string Group, double Alpha, IReadOnlyList<ProjectionSplit> Splits, bool IsStudent)
{
    public ProjectionSplit? Training => Splits.FirstOrDefault(s => s.Split == ProjectionResult.TrainingSplit);

    /// <summary>The held-out split measured (test or validation), if any.</summary>
    public ProjectionSplit? HeldOut => Splits.FirstOrDefault(s => s.Split != ProjectionResult.TrainingSplit);
}

/// <summary>A project stage's results, models in order of alpha.</summary>
public sealed record ProjectionResult(string Id, int? Replicate, string Group, IReadOnlyList<ProjectedModel> Models) : IReplicated
{
    public const string TrainingSplit = "training";
}

/// <summary>
/// The typed results of the completed stages a report reads: every metric name and every lineage question is
/// answered here once, so the sections and the paper's findings read fields, not strings.
/// </summary>
public sealed record RunResults(IReadOnlyList<TeacherResult> Teachers, IReadOnlyList<StudentResult> Students,
    IReadOnlyList<CalibrationResult> Calibrations, IReadOnlyList<ProjectionResult> Projections)
{
    public static RunResults Read(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages)
    {
        var lineage = new Lineage(pipeline);
        double AlphaOf(string id) => lineage.Alpha(id) ?? double.NaN;
        int? ReplicateOf(string id) => pipeline.Stage(id).Replicate ?? lineage.TrainStage(id)?.Replicate;
        string GroupOf(string id) => GroupName(pipeline.Stage(id));
        IEnumerable<StageInputRef> OfKind(string kind) => stages.Where(s => s.Definition.Kind == kind);

        var teachers = OfKind(TrainKind.Name).Select(t => new TeacherResult(t.Definition.Id, ReplicateOf(t.Definition.Id), GroupOf(t.Definition.Id), AlphaOf(t.Definition.Id),
                Metric(t, MetricNames.ValidationAccuracy), Metric(t, MetricNames.TestAccuracy), Metric(t, MetricNames.TestNll), t.Manifest.EpochMetrics.Count,
                EpochCurve.Of(t.Manifest, MetricNames.TestAccuracy), EpochCurve.Of(t.Manifest, MetricNames.MutualInformation),
                Metric(t, MetricNames.MutualInformationBound), t.Definition.Model))
            .OrderBy(t => t.Alpha).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();

        var students = OfKind(DistillKind.Name).Select(s =>
            {
                var p = DistillParameters.From(s.Definition.Parameters);
                return new StudentResult(s.Definition.Id, ReplicateOf(s.Definition.Id), GroupOf(s.Definition.Id), lineage.TrainStage(s.Definition.Id)?.Id, AlphaOf(s.Definition.Id), lineage.Temperature(s.Definition.Id) ?? p.Temperature,
                    Metric(s, MetricNames.TeacherGamma), Metric(s, MetricNames.TestAccuracy), EpochCurve.Of(s.Manifest, MetricNames.TestAccuracy), p, s.Definition.Model);
            })
            .OrderBy(s => s.TeacherAlpha).ThenBy(s => s.Temperature).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();

        var calibrations = OfKind(CalibrateKind.Name).Select(c =>
            {
                var p = CalibrateParameters.From(c.Definition.Parameters);
                var model = lineage.ModelStage(c.Definition.Id);
                return new CalibrationResult(c.Definition.Id, ReplicateOf(c.Definition.Id), GroupOf(c.Definition.Id), model?.Id, model?.Kind == DistillKind.Name, AlphaOf(c.Definition.Id),
                    Metric(c, MetricNames.Accuracy), Metric(c, MetricNames.Ece), Metric(c, MetricNames.FittedTemperature), Metric(c, MetricNames.EceScaled),
                    Metric(c, MetricNames.Nll), Metric(c, MetricNames.NllScaled), Metric(c, MetricNames.FitEce), p.Bins, p.EvalSplit, p.FitSplit);
            })
            .OrderBy(c => c.Alpha).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();

        var projections = OfKind(ProjectKind.Name).Select(p => new ProjectionResult(p.Definition.Id, ReplicateOf(p.Definition.Id), GroupOf(p.Definition.Id),
                (p.Definition.Inputs.GetValueOrDefault("models") ?? []).Select(m => new ProjectedModel(m, ReplicateOf(m), GroupOf(m), AlphaOf(m), ProjectedSplits(p, m), pipeline.Stage(m).Kind == DistillKind.Name))
                    .OrderBy(m => m.Alpha).ToList()))
            .ToList();

        return new RunResults(teachers, students, calibrations, projections);
    }

    /// <summary>
    /// The name all replicates of one setting share: the id for a stage run once; for a replicated stage its base name
    /// and its matrix values other than the seed, e.g. "teacher (alpha 0.1)".
    /// </summary>
    public static string GroupName(StageDefinition stage)
    {
        if (stage.Replicate is null) return stage.Id;
        var values = stage.MatrixValues.Where(v => v.Key != "seed").Select(v => $"{v.Key} {Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        return values.Count == 0 ? stage.BaseName : $"{stage.BaseName} ({string.Join(", ", values)})";
    }

    /// <summary>The splits a project stage measured for one model: training examples, then the held-out split it used.</summary>
    private static List<ProjectionSplit> ProjectedSplits(StageInputRef projection, string model) =>
        new[] { (ProjectionResult.TrainingSplit, ""), ("test", "_test"), ("validation", "_validation") }
            .Where(s => projection.Manifest.Metrics.ContainsKey(MetricNames.Tightness(model, s.Item2)))
            .Select(s => new ProjectionSplit(s.Item1, Metric(projection, MetricNames.Tightness(model, s.Item2)),
                Metric(projection, MetricNames.CentroidSpread(model, s.Item2))))
            .ToList();

    private static double Metric(StageInputRef stage, string name) =>
        stage.Manifest.Metrics.TryGetValue(name, out var value) ? value : double.NaN;
}
