using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Reporting;

/// <summary>
/// The report's section for one stage kind: its tables and figures, written from the run's typed results. The
/// builder adds the heading, and a note instead of the section when the report reads no stage of the kind.
/// A stage kind shows up in reports through its <see cref="Kinds.StageKind.CreateReportSection"/>.
/// </summary>
public interface IStageReportSection
{
    /// <summary>The catalogue kind whose stages this section shows.</summary>
    StageKindSpec Spec { get; }

    string Heading { get; }

    void Write(ReportContext context);
}
