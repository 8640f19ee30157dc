using System.Globalization;
using Distill.Analysis.Reporting;

namespace Distill.Stages.Paper;

/// <summary>The report's opening table: each of the paper's findings, this run's verdict, and the numbers behind it.</summary>
public static class PaperSummary
{
    /// <param name="regime">The preconditions measured (<see cref="PaperRegime"/>): a finding whose precondition fails says so beside its verdict.</param>
    public static void Write(ReportDocument document, IReadOnlyList<FindingVerdict> verdicts, IReadOnlyList<Precondition> regime)
    {
        document.AddHeading("Summary of findings");
        var rows = FindingVerdict.Claims.Select(claim =>
        {
            var verdict = verdicts.FirstOrDefault(v => v.Finding == claim.Key);
            var failed = PaperRegime.Failed(regime, claim.Key);
            var unknown = regime.Where(p => (p.Finding == claim.Key || p.Finding == 0) && p.Status == RegimeStatus.Unknown).Select(p => p.Name).ToList();
            return (IReadOnlyList<string>)[claim.Key.ToString(CultureInfo.InvariantCulture), claim.Value,
                verdict?.OutcomeText ?? "not tested", failed.Count > 0 ? $"not met: {string.Join(", ", failed)}" : unknown.Count > 0 ? $"not measured: {string.Join(", ", unknown)}" : "met",
                verdict?.Evidence ?? "the stages this finding needs are not in this run"];
        });
        document.AddTable(["#", "Paper's finding", "This run", "Regime", "Evidence"], rows, $"{Count(verdicts)}. {Rules}");
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
