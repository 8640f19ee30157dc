using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Paper;
using Distill.Stages.Reporting;

namespace Distill.Stages.Executors;

/// <summary>
/// `report`: one self-contained HTML file (figures as data URIs) and a Markdown twin with its PNGs, built only
/// from the run store: the manifests, metrics and output files of the completed stages it reads (every
/// input role; all completed stages of the run when it names none). Each figure states which finding of the
/// paper it tests and whether this run's numbers agree.
/// </summary>
public sealed class ReportExecutor : StageExecutor<ReportParameters>
{
    public const string HtmlName = "report.html";
    public const string MarkdownName = "report.md";

    public override StageKindSpec Spec => StageKinds.ReportSpec;

    protected override StageResult Execute(StageContext context, ReportParameters p)
    {
        var stages = context.Inputs.Values.SelectMany(v => v).DistinctBy(s => s.Definition.Id).ToList();
        string? note = null;
        if (stages.Count == 0)
        {
            // No inputs declared: read whatever the run store holds completed (the stages may not have run yet in this pass).
            stages = context.Pipeline.Stages
                .Where(s => s.Kind != StageKinds.Report && context.Run.Stage(s.Id)?.ReadManifest() is { Status: StageStatus.Completed })
                .Select(s => context.Completed(s.Id)).ToList();
            note = "This report names no inputs, so it shows the stages that were already completed when it ran; " +
                "give it `inputs: { all: \"*\" }` to make it wait for every stage.";
        }

        var title = p.Title ?? $"Distill report: {context.Pipeline.Name}";
        var report = new RunReportBuilder(context.Pipeline, stages).Build(title, note);
        AtomicFile.WriteAllText(context.Directory.OutputPath(HtmlName), report.Document.RenderHtml());
        report.Document.WriteMarkdown(context.Directory.OutputPath(MarkdownName));
        foreach (var verdict in report.Verdicts)
            context.Observer.Info($"{context.Stage.Id}: {verdict.Sentence}");

        return new StageResult(true, new Dictionary<string, double>
        {
            ["findings_agree"] = report.Verdicts.Count(v => v.Outcome == Verdict.Agrees),
            ["findings_disagree"] = report.Verdicts.Count(v => v.Outcome == Verdict.Disagrees),
            ["findings_inconclusive"] = report.Verdicts.Count(v => v.Outcome == Verdict.Inconclusive),
            ["findings_not_tested"] = report.Verdicts.Count(v => v.Outcome is Verdict.NotTested or Verdict.NotTestable),
            ["findings_total"] = report.Verdicts.Count,
            ["figures"] = report.Figures,
            ["stages_read"] = stages.Count,
        });
    }
}
