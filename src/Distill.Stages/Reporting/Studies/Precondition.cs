namespace Distill.Stages.Reporting;

/// <summary>Whether a run is in the state where one of a study's effects can show.</summary>
public enum RegimeStatus { Met, NotMet, Unknown }

/// <summary>
/// One precondition of a study: the finding it serves (null: every finding), the condition in words, this run's value
/// and the value the study's paper reports.
/// </summary>
public sealed record Precondition(string? Finding, string Name, string Condition, string Measured, string Paper, RegimeStatus Status)
{
    public string StatusText => Status switch { RegimeStatus.Met => "met", RegimeStatus.NotMet => "not met", _ => "not measured" };

    /// <summary>Whether it bears on the finding: its own, or one of every finding.</summary>
    public bool Serves(string finding) => Finding is null || Finding == finding;
}

/// <summary>What a study found in one run: its regime measured, and a verdict for each of its findings.</summary>
public sealed record StudyJudgement(IReadOnlyList<Precondition> Regime, IReadOnlyList<FindingVerdict> Verdicts);
