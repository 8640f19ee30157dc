using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Reporting;

/// <summary>
/// The report's section for one stage kind: its tables and figures, written from the run's typed results. The
/// builder adds the heading, and a note instead of the section when the report reads no stage of the kind.
/// A new stage kind shows up in reports by adding one of these to <see cref="StageReportSections.Default"/>.
/// </summary>
public interface IStageReportSection
{
    /// <summary>The catalogue kind whose stages this section shows.</summary>
    StageKindSpec Spec { get; }

    string Heading { get; }

    void Write(ReportContext context);
}

/// <summary>The sections of every report, in the order they appear.</summary>
public static class StageReportSections
{
    public static IReadOnlyList<IStageReportSection> Default { get; } =
    [
        new Sections.TrainReportSection(),
        new Sections.CalibrateReportSection(),
        new Sections.ProjectReportSection(),
        new Sections.DistillReportSection(),
    ];
}
