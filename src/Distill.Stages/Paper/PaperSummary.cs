using System.Globalization;
using Distill.Analysis.Reporting;

namespace Distill.Stages.Paper;

/// <summary>The report's opening table: each of the paper's findings, this run's verdict, and the numbers behind it.</summary>
public static class PaperSummary
{
    public static void Write(ReportDocument document, IReadOnlyList<FindingVerdict> verdicts)
    {
        document.AddHeading("Summary of findings");
        var rows = FindingVerdict.Claims.Select(claim =>
        {
            var verdict = verdicts.FirstOrDefault(v => v.Finding == claim.Key);
            return (IReadOnlyList<string>)[claim.Key.ToString(CultureInfo.InvariantCulture), claim.Value,
                verdict?.OutcomeText ?? "not tested", verdict?.Evidence ?? "the stages this finding needs are not in this run"];
        });
        document.AddTable(["#", "Paper's finding", "This run", "Evidence"], rows,
            $"{verdicts.Count(v => v.Outcome == Verdict.Agrees)} of {verdicts.Count} tested findings agree with the paper");
    }
}
