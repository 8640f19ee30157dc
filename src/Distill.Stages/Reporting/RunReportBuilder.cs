using Distill.Analysis.Reporting;
using Distill.Pipelines;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;
using Distill.Stages.Paper;

namespace Distill.Stages.Reporting;

/// <summary>What a report found: the document, each finding's verdict and the number of figures.</summary>
public sealed record RunReport(ReportDocument Document, IReadOnlyList<FindingVerdict> Verdicts, int Figures);

/// <summary>
/// Builds the run report from the run store alone: the manifests (final and per-epoch metrics) and output files of
/// completed stages, read once into typed <see cref="RunResults"/> by their kinds. The studies whose results are present
/// (the paper's findings) are judged first, so the summary at the top and every figure can quote them; then each kind
/// present writes its own section. Nothing is recomputed from models or data.
/// </summary>
public sealed class RunReportBuilder(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages,
    IReadOnlyList<IStageReportSection>? sections = null, IReadOnlyList<IReportStudy>? studies = null)
{
    public RunReport Build(string title, string? note, PublishedResults? published = null)
    {
        var results = RunResults.Read(pipeline, stages);
        var active = (studies ?? StageKindRegistry.Studies).Where(s => s.AppliesTo(results)).ToList();
        var verdicts = active.SelectMany(s => s.Evaluate(results)).ToList();

        var document = new ReportDocument(title);
        var kinds = stages.GroupBy(s => s.Definition.Kind).Select(g => $"{g.Count()} {g.Key}");
        document.AddParagraph($"Pipeline '{pipeline.Name}': {stages.Count} completed stages read from the run store ({string.Join(", ", kinds)})." +
            string.Concat(active.Select(s => $" Reference: {s.Reference}.")));
        if (note is not null) document.AddParagraph(note);
        foreach (var study in active) study.WriteSummary(document, results, verdicts);

        var context = new ReportContext(document, results, verdicts, stages, active.Count > 0) { Published = published ?? PublishedResults.None };
        foreach (var section in (sections ?? StageKindRegistry.ReportSections()).Where(s => context.Has(s.Spec.Name)))
        {
            document.AddHeading(section.Heading);
            section.Write(context);
        }
        return new RunReport(document, verdicts, document.Sections.OfType<FigureSection>().Count());
    }
}
