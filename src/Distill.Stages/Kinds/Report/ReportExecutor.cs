using Distill.Pipelines.Catalogue;
using Distill.Analysis.Reporting;
using Distill.Runs;
using Distill.Stages.Comparison;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Paper;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Report;

/// <summary>
/// `report`: one self-contained HTML file (figures as data URIs) and a Markdown twin with its PNGs, built only
/// from the run store: the manifests, metrics and output files of the completed stages it reads (every
/// input role; every other stage when it names none). Where a study applies (the paper's findings), each figure
/// states which finding it tests and whether this run's numbers agree.
/// </summary>
public sealed class ReportExecutor : StageExecutor<ReportParameters>
{
    public const string HtmlName = "report.html";
    public const string MarkdownName = "report.md";

    public override StageKindSpec Spec => ReportKind.Definition;

    protected override StageResult Execute(StageContext context, ReportParameters p)
    {
        var stages = context.Inputs.Values.SelectMany(v => v).DistinctBy(s => s.Definition.Id).ToList();
        var title = p.Title ?? $"Distill report: {context.Pipeline.Name}";
        var published = p.Published is { } file ? PublishedResults.Read(ExternalFiles.Resolve(context.Pipeline, file)) : PublishedResults.None;
        var report = new RunReportBuilder(context.Pipeline, stages).Build(title, null, published);
        if (p.CompareWith is { } earlier) AddComparison(report.Document, context, earlier);
        AtomicFile.WriteAllText(context.Directory.OutputPath(HtmlName), report.Document.RenderHtml());
        report.Document.WriteMarkdown(context.Directory.OutputPath(MarkdownName));
        foreach (var verdict in report.Verdicts)
            context.Observer.Info($"{context.Stage.Id}: {verdict.Sentence}");

        return new StageResult(true, new Dictionary<string, double>
        {
            [MetricNames.FindingsAgree] = report.Verdicts.Count(v => v.Outcome == Verdict.Agrees),
            [MetricNames.FindingsDisagree] = report.Verdicts.Count(v => v.Outcome == Verdict.Disagrees),
            [MetricNames.FindingsInconclusive] = report.Verdicts.Count(v => v.Outcome == Verdict.Inconclusive),
            [MetricNames.FindingsNotTested] = report.Verdicts.Count(v => v.Outcome is Verdict.NotTested or Verdict.NotTestable),
            [MetricNames.FindingsTotal] = report.Verdicts.Count,
            [MetricNames.Figures] = report.Figures,
            [MetricNames.StagesRead] = stages.Count,
        });
    }

    /// <summary>The stages (reports aside) whose settings or final metrics differ from the named earlier run under the same root.</summary>
    private static void AddComparison(ReportDocument document, StageContext context, string earlierName)
    {
        document.AddHeading($"Compared with run '{earlierName}'");
        var earlier = RunDirectory.Locate(Path.GetDirectoryName(context.Run.RootPath)!, earlierName);
        if (!Directory.Exists(earlier.RootPath))
        {
            document.AddParagraph($"There is no run named '{earlierName}' under the runs root, so nothing is compared.");
            return;
        }
        var comparisons = RunComparer.CompareRuns(earlier.RootPath, context.Run.RootPath)
            .Where(c => context.Pipeline.Stages.FirstOrDefault(s => s.Id == c.StageB)?.Kind != ReportKind.Name)
            .ToList();
        if (comparisons.Count == 0)
        {
            document.AddParagraph($"Every stage has the same settings and final metrics as in run '{earlierName}'.");
            return;
        }
        var (header, rows) = ComparisonFormat.Table(comparisons, earlierName, "this run");
        document.AddTable(header, rows, $"{comparisons.Count} stage(s) differ from run '{earlierName}' (read when this report was made; `distill compare {earlierName} {context.Pipeline.Name}` gives the same as CSV or JSON).");
    }
}
