using Distill.Analysis.Reporting;

namespace Distill.Stages.Reporting;

/// <summary>A study's opening tables: its regime (the preconditions of its findings, measured), then each finding's verdict.</summary>
public static class StudySummary
{
    /// <param name="regimeCaption">What the regime table measures, in the study's words.</param>
    /// <param name="rules">How the verdicts were reached, after the count of outcomes.</param>
    public static void Write(ReportDocument document, IReadOnlyList<StudyFinding> findings, StudyJudgement judgement, string regimeCaption, string rules)
    {
        var regime = judgement.Regime;
        document.AddHeading("Regime", 3);
        document.AddTable(["Finding", "Precondition", "This run", "Paper", ""],
            regime.Select(p => (IReadOnlyList<string>)[p.Finding ?? "all", p.Condition, p.Measured, p.Paper, p.StatusText]), regimeCaption);

        document.AddHeading("Summary of findings", 3);
        var rows = findings.Select(finding =>
        {
            var verdict = judgement.Verdicts.FirstOrDefault(v => v.Finding == finding);
            var failed = Failed(regime, finding.Id);
            var unknown = regime.Where(p => p.Serves(finding.Id) && p.Status == RegimeStatus.Unknown).Select(p => p.Name).ToList();
            return (IReadOnlyList<string>)[finding.Id, finding.Claim, verdict?.OutcomeText ?? "not tested",
                failed.Count > 0 ? $"not met: {string.Join(", ", failed)}" : unknown.Count > 0 ? $"not measured: {string.Join(", ", unknown)}" : "met",
                verdict?.Evidence ?? "the stages this finding needs are not in this run"];
        });
        document.AddTable(["#", "Finding", "This run", "Regime", "Evidence"], rows, $"{Count(judgement.Verdicts)}. {rules}");
    }

    /// <summary>The preconditions of one finding that failed ("hard-teacher ECE at T = 1, scaling gain"), empty when none did.</summary>
    public static IReadOnlyList<string> Failed(IReadOnlyList<Precondition> regime, string finding) =>
        regime.Where(p => p.Serves(finding) && p.Status == RegimeStatus.NotMet).Select(p => p.Name).ToList();

    /// <summary>"1 agree, 0 disagree, 1 inconclusive, 2 not tested, 0 not testable here".</summary>
    public static string Count(IReadOnlyList<FindingVerdict> verdicts)
    {
        int Of(Verdict v) => verdicts.Count(x => x.Outcome == v);
        return $"{Of(Verdict.Agrees)} agree, {Of(Verdict.Disagrees)} disagree, {Of(Verdict.Inconclusive)} inconclusive, " +
            $"{Of(Verdict.NotTested)} not tested, {Of(Verdict.NotTestable)} not testable here";
    }
}
