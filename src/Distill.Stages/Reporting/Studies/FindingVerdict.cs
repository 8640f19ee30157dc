namespace Distill.Stages.Reporting;

/// <summary>What this run's numbers say about one finding of a study, by the study's fixed verdict rules.</summary>
public enum Verdict
{
    Agrees,
    Disagrees,

    /// <summary>Tested, but the intervals decide neither way.</summary>
    Inconclusive,

    /// <summary>The run lacks what the finding needs: its stages, or 3 paired seeds.</summary>
    NotTested,

    /// <summary>A precondition of the finding fails in this setting (the paper's finding 2: the baseline is already calibrated).</summary>
    NotTestable,
}

/// <summary>One finding a study tests: its id in the report ("2", "C1") and its claim in a few words.</summary>
public sealed record StudyFinding(string Id, string Claim);

/// <summary>A finding's verdict with the numbers behind it (means, intervals, n), as one sentence for the report.</summary>
public sealed record FindingVerdict(StudyFinding Finding, Verdict Outcome, string Evidence)
{
    public string Claim => Finding.Claim;

    public string OutcomeText => Outcome switch
    {
        Verdict.Agrees => "agrees",
        Verdict.Disagrees => "disagrees",
        Verdict.Inconclusive => "inconclusive",
        Verdict.NotTested => "not tested",
        _ => "not testable here",
    };

    /// <summary>"Finding 2 (label smoothing calibrates ...): agrees: ECE 0.031 with smoothing vs ...".</summary>
    public string Sentence => $"Finding {Finding.Id} ({Claim}): {OutcomeText}: {Evidence}.";
}
