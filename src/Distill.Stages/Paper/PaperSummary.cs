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
        document.AddTable(["#", "Paper's finding", "This run", "Evidence"], rows, $"{Count(verdicts)}. {Rules}");
    }

    /// <summary>"1 agrees, 0 disagree, 1 inconclusive, 2 not tested, 0 not testable here".</summary>
    public static string Count(IReadOnlyList<FindingVerdict> verdicts)
    {
        int Of(Verdict v) => verdicts.Count(x => x.Outcome == v);
        return $"{Of(Verdict.Agrees)} agree, {Of(Verdict.Disagrees)} disagree, {Of(Verdict.Inconclusive)} inconclusive, " +
            $"{Of(Verdict.NotTested)} not tested, {Of(Verdict.NotTestable)} not testable here";
    }

    private const string Rules = "Verdicts by fixed rules: hard-target and smoothed runs paired by seed, differences judged by their 95 % t-interval " +
        "over at least 3 seeds (the project's method notes, \"Verdict rules\")";
}
