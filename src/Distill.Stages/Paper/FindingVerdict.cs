namespace Distill.Stages.Paper;

/// <summary>What this run's numbers say about one finding of the paper.</summary>
public enum Verdict
{
    Agrees,

    /// <summary>One half of a two-part claim holds, the other does not.</summary>
    PartlyAgrees,
    DoesNotAgree,

    /// <summary>The numbers cannot decide (too little data, or nothing to compare against).</summary>
    Inconclusive,
}

/// <summary>A finding's verdict with the numbers behind it, as one sentence for the report.</summary>
public sealed record FindingVerdict(int Finding, Verdict Outcome, string Evidence)
{
    public static readonly IReadOnlyDictionary<int, string> Claims = new Dictionary<int, string>
    {
        [1] = "label smoothing gives tight, equidistant clusters of penultimate activations",
        [2] = "label smoothing calibrates about as well as temperature scaling",
        [3] = "a label-smoothed teacher is more accurate yet distils into a worse student",
        [4] = "label smoothing erases information: the input-logit mutual information falls during training",
    };

    public string Claim => Claims[Finding];

    public string OutcomeText => Outcome switch
    {
        Verdict.Agrees => "agrees",
        Verdict.PartlyAgrees => "partly agrees",
        Verdict.DoesNotAgree => "does not agree",
        _ => "inconclusive",
    };

    /// <summary>"Finding 2 (label smoothing calibrates ...): agrees: ECE 0.031 with smoothing vs ...".</summary>
    public string Sentence => $"Finding {Finding} ({Claim}): {OutcomeText}: {Evidence}.";
}
