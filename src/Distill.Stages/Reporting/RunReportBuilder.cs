using Distill.Analysis.Reporting;
using Distill.Pipelines;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;

namespace Distill.Stages.Reporting;

/// <summary>What a report found: the document, each finding's verdict (every active study's) and the number of figures.</summary>
public sealed record RunReport(ReportDocument Document, IReadOnlyList<FindingVerdict> Verdicts, int Figures);

/// <summary>
/// Builds the run report from the run store alone: the manifests (final and per-epoch metrics) and output files of
/// completed stages, read once into typed <see cref="RunResults"/> by their kinds. The studies whose results are present
/// are judged first and open the report with their regime and verdicts; then each kind present writes its own section,
/// followed by the active studies' exhibits for that kind; last, each finding's paragraph is stated once, beside the
/// exhibit its study names. Nothing is recomputed from models or data.
/// </summary>
public sealed class RunReportBuilder(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages,
    IReadOnlyList<IStageReportSection>? sections = null, IReadOnlyList<IReportStudy>? studies = null)
{
    public RunReport Build(string title, string? note, PublishedResults? published = null)
    {
        var results = RunResults.Read(pipeline, stages);
        var active = (studies ?? StageKindRegistry.Studies).Where(s => s.AppliesTo(results)).Select(s => (Study: s, Judgement: s.Judge(results))).ToList();

        var document = new ReportDocument(title);
        var kinds = stages.GroupBy(s => s.Definition.Kind).Select(g => $"{g.Count()} {g.Key}");
        document.AddParagraph($"Pipeline '{pipeline.Name}': {stages.Count} completed stages read from the run store ({string.Join(", ", kinds)})." +
            string.Concat(active.Select(a => $" Reference: {a.Study.Reference}.")));
        if (note is not null) document.AddParagraph(note);
        foreach (var (study, judgement) in active)
        {
            document.AddHeading($"Study: {study.Title}");
            study.WriteSummary(document, judgement);
        }

        var context = new ReportContext(document, results, stages) { Published = published ?? PublishedResults.None };
        foreach (var section in (sections ?? StageKindRegistry.ReportSections()).Where(s => context.Has(s.Spec.Name)))
        {
            document.AddHeading(section.Heading);
            section.Write(context);
            foreach (var (study, _) in active) study.WriteExhibits(section.Spec.Name, context);
        }

        foreach (var (study, judgement) in active)
            foreach (var verdict in judgement.Verdicts)
                if (study.Exhibit(verdict.Finding, results) is { } exhibit) document.StateFinding(exhibit, verdict.Sentence);
        var verdicts = active.SelectMany(a => a.Judgement.Verdicts).ToList();
        return new RunReport(document, verdicts, document.Sections.OfType<FigureSection>().Count());
    }
}
