using Distill.Pipelines.Catalogue;
using Distill.Stages.Executors;
using Distill.Stages.Paper;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Reporting.Sections;

/// <summary>Calibrate stages: ECE and NLL before and after temperature scaling, the paper's Table 3, reliability diagrams.</summary>
public sealed class CalibrateReportSection : IStageReportSection
{
    public StageKindSpec Spec => StageKinds.CalibrateSpec;

    public string Heading => "Calibration";

    public void Write(ReportContext context)
    {
        var calibrations = context.Results.Calibrations;
        context.Document.AddTable(["Teacher", "alpha", "Accuracy", "ECE, T = 1", "Fitted T", "ECE, fitted T", "NLL, T = 1", "NLL, fitted T"],
            calibrations.Select(c => (IReadOnlyList<string>)[c.Teacher ?? "?", F(c.Alpha), P(c.Accuracy), F3(c.Ece), F2(c.FittedTemperature),
                F3(c.EceScaled), F3(c.Nll), F3(c.NllScaled)]),
            $"Stages {string.Join(", ", calibrations.Select(c => c.Id))}, measured on the eval split ({string.Join(", ", calibrations.Select(c => c.EvalSplit).Distinct())}); " +
            $"T fitted on its fit split; ECE with {string.Join("/", calibrations.Select(c => c.Bins).Distinct())} bins");

        var (hard, smooth) = PaperFindings.CalibrationPair(context.Results);
        if (hard is not null && smooth is not null)
            context.Document.AddTable(["Method", "ECE", "Setting"],
            [
                ["Baseline (hard targets, T = 1)", F3(hard.Ece), hard.Id],
                ["Temperature scaling", F3(hard.EceScaled), $"T = {F2(hard.FittedTemperature)}"],
                ["Label smoothing (T = 1)", F3(smooth.Ece), $"alpha = {F(smooth.Alpha)}"],
            ], "The paper's Table 3 for this run");
        else
            context.Document.AddParagraph("Finding 2 needs a calibrate stage for a hard-target teacher (alpha = 0) and one for a smoothed teacher; this run lacks one of them.");

        var sentence = context.Sentence(2, "needs a hard and a smoothed teacher");
        foreach (var c in calibrations)
        {
            var who = $"{c.Teacher} (alpha = {F(c.Alpha)})";
            context.AddOutputFigure(c.Id, CalibrateExecutor.ReliabilityBefore, $"{c.Id}-reliability",
                $"Reliability diagram of {who} at T = 1: accuracy per confidence bin against the diagonal of perfect calibration.", sentence);
            context.AddOutputFigure(c.Id, CalibrateExecutor.ReliabilityAfter, $"{c.Id}-reliability-scaled",
                $"Reliability diagram of {who} after temperature scaling (T = {F2(c.FittedTemperature)}).", sentence);
        }
    }
}
