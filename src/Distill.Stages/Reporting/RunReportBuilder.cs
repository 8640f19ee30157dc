using Distill.Analysis.Reporting;
using Distill.Pipelines;
using Distill.Stages.Engine;
using Distill.Stages.Paper;

namespace Distill.Stages.Reporting;

/// <summary>What a report found: the document, each finding's verdict and the number of figures.</summary>
public sealed record RunReport(ReportDocument Document, IReadOnlyList<FindingVerdict> Verdicts, int Figures);

/// <summary>
/// Builds the run report from the run store alone: the manifests (final and per-epoch metrics) and output files of
/// completed stages, read once into typed <see cref="RunResults"/>. The paper's findings are judged first, so the
/// summary at the top and every figure can quote them; then each stage kind writes its own section. Nothing is
/// recomputed from models or data.
/// </summary>
public sealed class RunReportBuilder(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages, IReadOnlyList<IStageReportSection>? sections = null)
{
    public RunReport Build(string title, string? note)
    {
        var results = RunResults.Read(pipeline, stages);
        var verdicts = PaperFindings.Evaluate(results);

        var document = new ReportDocument(title);
        document.AddParagraph($"Pipeline '{pipeline.Name}': {stages.Count} completed stages read from the run store " +
            $"({results.Teachers.Count} teachers, {results.Students.Count} students, {results.Calibrations.Count} calibration, {results.Projections.Count} projection). " +
            $"Reference: {PaperFindings.Reference}.");
        if (note is not null) document.AddParagraph(note);
        PaperSummary.Write(document, verdicts);

        var context = new ReportContext(document, results, verdicts, stages);
        foreach (var section in sections ?? Kinds.StageKindRegistry.ReportSections())
        {
            document.AddHeading(section.Heading);
            if (context.Has(section.Spec.Name)) section.Write(context);
            else document.AddParagraph($"No {section.Spec.Name} stages among this report's inputs; section skipped.");
        }
        return new RunReport(document, verdicts, document.Sections.OfType<FigureSection>().Count());
    }
}
