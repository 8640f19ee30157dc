using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>
/// "When Does Label Smoothing Help?": its four findings, judged wherever the report reads a hard-target (alpha 0) and a
/// label-smoothed teacher; a report without both has no finding rows. Its own exhibits: the paper's Table 3 in the
/// calibration section and its Fig. 5 in the distillation section.
/// </summary>
public sealed class PaperStudy : IReportStudy
{
    public static readonly StudyFinding Clusters = new("1", "label smoothing gives tighter clusters of penultimate activations, no less equidistant");
    public static readonly StudyFinding Calibration = new("2", "label smoothing calibrates about as well as temperature scaling");
    public static readonly StudyFinding Distillation = new("3", "a label-smoothed teacher distils into a worse student than a hard-target teacher of the same smoothness gamma");
    public static readonly StudyFinding Information = new("4", "label smoothing erases information: the input-logit mutual information ends lower, after a larger drop");

    public const string TableThree = "paper-table-3";
    public const string FigureFive = "student-accuracy-vs-gamma";

    private const string Rules = "Verdicts by fixed rules: hard-target and smoothed runs paired by seed, differences judged by their 95 % t-interval " +
        "over at least 3 seeds (the project's method notes, \"Verdict rules\")";

    public string Title => "When Does Label Smoothing Help?";

    public string Reference => "Müller, Kornblith, Hinton, \"When Does Label Smoothing Help?\" (NeurIPS 2019)";

    public IReadOnlyList<StudyFinding> Findings { get; } = [Clusters, Calibration, Distillation, Information];

    public bool AppliesTo(RunResults results)
    {
        var teachers = ModelRoles.Teachers(results);
        var calibrated = results.Of<CalibrationResult>().Where(c => !c.OfStudent).ToList();
        return (teachers.Any(t => t.Alpha == 0) || calibrated.Any(c => c.Alpha == 0))
            && (teachers.Any(t => t.Alpha > 0) || calibrated.Any(c => c.Alpha > 0));
    }

    public StudyJudgement Judge(RunResults results) => new(PaperRegime.Measure(results), PaperFindings.Evaluate(results));

    public void WriteSummary(ReportDocument document, StudyJudgement judgement) =>
        StudySummary.Write(document, Findings, judgement, PaperRegime.Caption, Rules);

    public void WriteExhibits(string kind, ReportContext context)
    {
        if (kind == CalibrateKind.Name) WriteTableThree(context);
        if (kind == DistillKind.Name) WriteFigureFive(context);
    }

    public string? Exhibit(StudyFinding finding, RunResults results) => finding.Id switch
    {
        "1" => Replicates.Groups(results.Of<ProjectionResult>()).Select(g => g[0])
            .FirstOrDefault(p => p.Models.Count == 2 && p.Models.All(m => !m.IsStudent)) is { } projection ? ProjectReportSection.GridFigure(projection.Id) : null,
        "2" => TableThree,
        "3" => FigureFive,
        "4" => TrainReportSection.MutualInformationFigure,
        _ => null,
    };

    /// <summary>The paper's Table 3 for this run: the hard-target teacher at T = 1 and temperature-scaled, and the smoothed alpha chosen on held-out data.</summary>
    private static void WriteTableThree(ReportContext context)
    {
        var (hard, smooth, chosen) = PaperFindings.CalibrationPair(context.Results);
        context.Document.AddHeading("The paper's Table 3", 3);
        if (hard.Count == 0 || smooth.Count == 0)
        {
            context.Document.AddParagraph("Finding 2 needs calibrate stages for a hard-target teacher (alpha = 0) and for a smoothed teacher; this run lacks one of them.");
            return;
        }
        context.Document.AddTable(["Method", "ECE", "Setting"],
        [
            ["Baseline (hard targets, T = 1)", Replicates.Cell(hard.Select(c => c.Ece), F3), hard[0].Group],
            ["Temperature scaling", Replicates.Cell(hard.Select(c => c.EceScaled), F3), $"T = {Replicates.Cell(hard.Select(c => c.FittedTemperature), F2)}"],
            ["Label smoothing (T = 1)", Replicates.Cell(smooth.Select(c => c.Ece), F3), chosen],
        ], "The paper's Table 3 for this run: test ECE, the smoothed alpha chosen on held-out data", TableThree);
    }

    /// <summary>Paper Fig. 5: student accuracy against the smoothness gamma of its targets.</summary>
    private static void WriteFigureFive(ReportContext context)
    {
        var students = PaperFindings.Students(context.Results);
        var vsGamma = new[]
        {
            Replicates.Band("hard-target teacher (alpha = 0), T varied", students.Where(s => s.TeacherAlpha == 0).Select(s => (s.Temperature, s.TeacherGamma, s.TestAccuracy)), Replicates.AccuracyRange),
            Replicates.Band("label-smoothed teachers at T = 1", PaperFindings.SmoothedAtTemperatureOne(context.Results).Select(s => (s.TeacherAlpha, s.TeacherGamma, s.TestAccuracy)), Replicates.AccuracyRange),
            Replicates.Band("student alone with label smoothing (gamma = alpha)", ModelRoles.StudentsTrainedAlone(context.Results).Select(t => (t.Alpha, t.Alpha, t.TestAccuracy)), Replicates.AccuracyRange),
        }.OfType<LineSeries>().ToList();
        if (vsGamma.Count == 0) return;
        context.Document.AddHeading("The paper's Fig. 5", 3);
        context.AddChart(FigureFive, "Student accuracy vs teacher smoothness", "Smoothness index gamma", "Student test accuracy",
            vsGamma, null, "Student test accuracy against the smoothness gamma of its targets (paper Fig. 5): students of the hard-target teacher across T, of smoothed teachers at T = 1, " +
            "and the student architecture trained alone with label smoothing (its targets' gamma is alpha); bands: 95 % interval over seeds. At equal gamma, the paper finds the smoothed teacher's student worse.");
    }
}
