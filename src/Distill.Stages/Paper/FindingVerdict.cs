namespace Distill.Stages.Paper;

/// <summary>What this run's numbers say about one finding of the paper, by the fixed rules of <see cref="VerdictRules"/>.</summary>
public enum Verdict
{
    Agrees,
    Disagrees,

    /// <summary>Tested, but the intervals decide neither way.</summary>
    Inconclusive,

    /// <summary>The run lacks what the finding needs: its stages, or 3 paired seeds.</summary>
    NotTested,

    /// <summary>A precondition of the finding fails in this setting (finding 2: the baseline is already calibrated).</summary>
    NotTestable,
}

/// <summary>A finding's verdict with the numbers behind it (means, intervals, n), as one sentence for the report.</summary>
public sealed record FindingVerdict(int Finding, Verdict Outcome, string Evidence)
{
    public static readonly IReadOnlyDictionary<int, string> Claims = new Dictionary<int, string>
    {
        [1] = "label smoothing gives tighter clusters of penultimate activations, no less equidistant",
        [2] = "label smoothing calibrates about as well as temperature scaling",
        [3] = "a label-smoothed teacher distils into a worse student than a hard-target teacher of the same smoothness gamma",
        [4] = "label smoothing erases information: the input-logit mutual information ends lower, after a larger drop",
    };

    public string Claim => Claims[Finding];

    public string OutcomeText => Outcome switch
    {
        Verdict.Agrees => "agrees",
        Verdict.Disagrees => "disagrees",
        Verdict.Inconclusive => "inconclusive",
        Verdict.NotTested => "not tested",
        _ => "not testable here",
    };

    /// <summary>"Finding 2 (label smoothing calibrates ...): agrees: ECE 0.031 with smoothing vs ...".</summary>
    public string Sentence => $"Finding {Finding} ({Claim}): {OutcomeText}: {Evidence}.";
}
