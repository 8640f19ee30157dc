using Distill.Stages.Reporting;
using Distill.Pipelines.Catalogue;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Kinds.Project;

/// <summary>
/// Project stages: cluster tightness and centroid spread per model setting and split (mean and 95 % interval over
/// seeds), and the projection figures of one seed per projection setting (paper Fig. 1).
/// </summary>
public sealed class ProjectReportSection : IStageReportSection
{
    public StageKindSpec Spec => ProjectKind.Definition;

    public string Heading => "Penultimate-layer geometry";

    /// <summary>The name of a projection's 2 x 2 grid figure (one seed's per projection setting).</summary>
    public static string GridFigure(string projectionId) => $"{projectionId}-grid";

    public void Write(ReportContext context)
    {
        var rows = context.Results.Of<ProjectionResult>().SelectMany(p => p.Models).SelectMany(m => m.Splits.Select(s => (Model: m, Split: s)))
            .GroupBy(r => (Setting: r.Model.Group, r.Split.Split))
            .Select(g => (IReadOnlyList<string>)[g.Key.Setting, F(g.First().Model.Alpha), g.Key.Split,
                Replicates.Cell(g.Select(r => r.Split.Tightness), F3), Replicates.Cell(g.Select(r => r.Split.CentroidSpread), F3), N(g.Count())]);
        context.Document.AddTable(["Model", "alpha", "Split", "Tightness", "Centroid spread", "n"], rows,
            "Tightness = mean distance to the class centroid / mean distance between centroids; " +
            "centroid spread = (largest - smallest centroid distance) / mean (0 = equidistant); mean [95 % interval] over n seeds");

        foreach (var projection in Replicates.Groups(context.Results.Of<ProjectionResult>()).Select(g => g[0])) // one seed's figures per setting
        {
            if (context.HasOutput(projection.Id, ProjectExecutor.GridName))
                context.AddOutputFigure(projection.Id, ProjectExecutor.GridName, GridFigure(projection.Id),
                    "Penultimate activations projected onto the plane of the three class templates; rows: without / with label smoothing, columns: training / held-out examples.");
            else
                foreach (var output in context.Outputs(projection.Id).Where(o => o.EndsWith(".png", StringComparison.Ordinal)))
                    context.AddOutputFigure(projection.Id, output, $"{projection.Id}-{Path.GetFileNameWithoutExtension(output)}",
                        "Penultimate activations projected onto the plane of the three class templates.");
        }
    }
}
