using Distill.Analysis.Reporting;

namespace Distill.Stages.Reporting;

/// <summary>
/// A question a report answers across stages, as a plug-in: it declares its findings, turns itself on when the results
/// it reads are among the report's inputs, measures its regime (the preconditions of each finding), judges each finding
/// by its fixed rules, adds its own tables and figures to the sections of the stage kinds it reads, and names the
/// exhibit each finding's one paragraph stands beside. The report and the kinds' sections know no study.
/// Studies are listed in <see cref="Kinds.StageKindRegistry.Studies"/>.
/// </summary>
public interface IReportStudy
{
    /// <summary>The study's heading in the report ("When Does Label Smoothing Help?").</summary>
    string Title { get; }

    /// <summary>What the study reproduces, named in the report's opening paragraph.</summary>
    string Reference { get; }

    IReadOnlyList<StudyFinding> Findings { get; }

    /// <summary>Whether the results hold what the study is about (for the paper: hard-target and label-smoothed teachers).</summary>
    bool AppliesTo(RunResults results);

    StudyJudgement Judge(RunResults results);

    /// <summary>Writes the study's regime and verdict tables (<see cref="StudySummary"/>) under its heading.</summary>
    void WriteSummary(ReportDocument document, StudyJudgement judgement);

    /// <summary>Adds the study's own tables and figures at the end of the section of stage kind <paramref name="kind"/>.</summary>
    void WriteExhibits(string kind, ReportContext context);

    /// <summary>The figure or named table the finding's paragraph stands beside, or null when the run has none for it.</summary>
    string? Exhibit(StudyFinding finding, RunResults results);
}
