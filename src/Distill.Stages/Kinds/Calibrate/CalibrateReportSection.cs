using Distill.Stages.Reporting;
using Distill.Pipelines.Catalogue;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Kinds.Calibrate;

/// <summary>
/// Calibrate stages: ECE and NLL before and after temperature scaling (mean and 95 % interval over seeds), and the
/// reliability diagrams of one seed per setting.
/// </summary>
public sealed class CalibrateReportSection : IStageReportSection
{
    public StageKindSpec Spec => CalibrateKind.Definition;

    public string Heading => "Calibration";

    public void Write(ReportContext context)
    {
        var calibrations = context.Results.Of<CalibrationResult>();
        var groups = Replicates.Groups(calibrations);
        context.Document.AddTable(["Calibration", "alpha", "Accuracy", "ECE, T = 1", "Fitted T", "ECE, fitted T", "NLL, T = 1", "NLL, fitted T", "ECE on fit split", "n", "ECE per seed"],
            groups.Select(g => (IReadOnlyList<string>)[g[0].Group, F(g[0].Alpha), Replicates.Cell(g.Select(c => c.Accuracy), P), Replicates.Cell(g.Select(c => c.Ece), F3),
                Replicates.Cell(g.Select(c => c.FittedTemperature), F2), Replicates.Cell(g.Select(c => c.EceScaled), F3), Replicates.Cell(g.Select(c => c.Nll), F3),
                Replicates.Cell(g.Select(c => c.NllScaled), F3), Replicates.Cell(g.Select(c => c.FitEce), F3), N(g.Count), Replicates.PerSeed(g, c => c.Ece, F3)]),
            $"Measured on the eval split ({string.Join(", ", calibrations.Select(c => c.EvalSplit).Distinct())}); T fitted on the fit split " +
            $"({string.Join(", ", calibrations.Select(c => c.FitSplit).Distinct())}); ECE with {string.Join("/", calibrations.Select(c => c.Bins).Distinct())} bins; mean [95 % interval] over n seeds");

        foreach (var c in groups.Select(g => g[0]))
        {
            var who = c.OfStudent ? $"student {c.Model} (teacher alpha = {F(c.Alpha)})" : $"{c.Model} (alpha = {F(c.Alpha)})";
            context.AddOutputFigure(c.Id, CalibrateExecutor.ReliabilityBefore, $"{c.Id}-reliability",
                $"Reliability diagram of {who} at T = 1: accuracy per confidence bin against the diagonal of perfect calibration.");
            context.AddOutputFigure(c.Id, CalibrateExecutor.ReliabilityAfter, $"{c.Id}-reliability-scaled",
                $"Reliability diagram of {who} after temperature scaling (T = {F2(c.FittedTemperature)}).");
        }
    }
}
