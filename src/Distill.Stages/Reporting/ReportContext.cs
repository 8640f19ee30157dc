using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;
using Distill.Stages.Engine;

namespace Distill.Stages.Reporting;

/// <summary>What a report section (or a study's exhibits) writes into and reads from: the document, the typed results, the stages' output files.</summary>
public sealed class ReportContext(ReportDocument document, RunResults results, IReadOnlyList<StageInputRef> stages)
{
    public ReportDocument Document { get; } = document;

    public RunResults Results { get; } = results;

    /// <summary>Published numbers to set beside Distill's (a report stage's `published:`).</summary>
    public PublishedResults Published { get; init; } = PublishedResults.None;

    /// <summary>Whether the report reads any stage of <paramref name="kind"/>.</summary>
    public bool Has(string kind) => stages.Any(s => s.Definition.Kind == kind);

    /// <summary>A line chart of the given series (900 x 520); a study may state a finding beside it by its name.</summary>
    public void AddChart(string name, string title, string x, string y, IReadOnlyList<LineSeries> series,
        IReadOnlyList<ReferenceLine>? references, string caption, bool fitToData = false) =>
        Document.AddFigure(name, LineChart.Render(title, x, y, series, references, new FigureSize(900, 520), fitToData), caption, null);

    /// <summary>Adds a PNG a stage recorded among its outputs; a missing one becomes a note.</summary>
    public void AddOutputFigure(string stageId, string output, string name, string caption)
    {
        if (!HasOutput(stageId, output))
        {
            Document.AddParagraph($"Stage '{stageId}' recorded no output '{output}'; figure skipped.");
            return;
        }
        Document.AddFigure(name, File.ReadAllBytes(Stage(stageId).Directory.OutputPath(output)), caption, null);
    }

    public bool HasOutput(string stageId, string output)
    {
        var stage = Stage(stageId);
        return stage.Manifest.Outputs.Any(o => o.Path == output) && File.Exists(stage.Directory.OutputPath(output));
    }

    /// <summary>The outputs a stage recorded, by relative path.</summary>
    public IEnumerable<string> Outputs(string stageId) => Stage(stageId).Manifest.Outputs.Select(o => o.Path);

    private StageInputRef Stage(string stageId) => stages.First(s => s.Definition.Id == stageId);

    /// <summary>A line through the finite points, sorted by x; null when none is finite.</summary>
    public static LineSeries? Series(string name, IEnumerable<(double X, double Y)> points)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
        return finite.Count == 0 ? null : new LineSeries(name, finite.Select(p => p.X).ToList(), finite.Select(p => p.Y).ToList());
    }
}
