using Distill.Analysis.Reporting;
using Distill.Stages.Paper;

namespace Distill.Stages.Reporting;

/// <summary>
/// A question a report answers across stages (the paper's four findings are one): it turns itself on when the results
/// it needs are among the report's inputs, judges them, and writes its summary at the top of the report.
/// </summary>
public interface IReportStudy
{
    /// <summary>What the study reproduces, named in the report's opening paragraph.</summary>
    string Reference { get; }

    /// <summary>Whether the results hold what the study is about (for the paper: hard-target and label-smoothed teachers).</summary>
    bool AppliesTo(RunResults results);

    IReadOnlyList<FindingVerdict> Evaluate(RunResults results);

    /// <summary>Writes the study's opening tables (for the paper: its regime, then its verdicts) from the results it judged.</summary>
    void WriteSummary(ReportDocument document, RunResults results, IReadOnlyList<FindingVerdict> verdicts);
}
