using Distill.Analysis.Reporting;
using Distill.Stages.Reporting;

namespace Distill.Stages.Paper;

/// <summary>
/// "When Does Label Smoothing Help?": its four findings, judged wherever the report reads a hard-target (alpha 0) and a
/// label-smoothed teacher; a report without both has no finding rows.
/// </summary>
public sealed class PaperStudy : IReportStudy
{
    public string Reference => PaperFindings.Reference;

    public bool AppliesTo(RunResults results)
    {
        var teachers = PaperFindings.Teachers(results);
        var calibrated = results.Of<Kinds.Calibrate.CalibrationResult>().Where(c => !c.OfStudent).ToList();
        return (teachers.Any(t => t.Alpha == 0) || calibrated.Any(c => c.Alpha == 0))
            && (teachers.Any(t => t.Alpha > 0) || calibrated.Any(c => c.Alpha > 0));
    }

    public IReadOnlyList<FindingVerdict> Evaluate(RunResults results) => PaperFindings.Evaluate(results);

    public void WriteSummary(ReportDocument document, RunResults results, IReadOnlyList<FindingVerdict> verdicts)
    {
        var regime = PaperRegime.Measure(results);
        PaperRegime.Write(document, regime);
        PaperSummary.Write(document, verdicts, regime);
    }
}
