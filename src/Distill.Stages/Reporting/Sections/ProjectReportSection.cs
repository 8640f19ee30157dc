using Distill.Pipelines.Catalogue;
using Distill.Stages.Executors;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Reporting.Sections;

/// <summary>Project stages: cluster tightness and centroid spread per model and split, and the projection figures (paper Fig. 1).</summary>
public sealed class ProjectReportSection : IStageReportSection
{
    public StageKindSpec Spec => StageKinds.ProjectSpec;

    public string Heading => "Penultimate-layer geometry";

    public void Write(ReportContext context)
    {
        var sentence = context.Sentence(1, "needs one projection of a hard-target and a smoothed model");
        foreach (var projection in context.Results.Projections)
        {
            context.Document.AddTable(["Model", "alpha", "Split", "Tightness", "Centroid spread"],
                projection.Models.SelectMany(m => m.Splits.Select(s => (IReadOnlyList<string>)[m.StageId, F(m.Alpha), s.Split, F3(s.Tightness), F3(s.CentroidSpread)])),
                $"{projection.Id}: tightness = mean distance to the class centroid / mean distance between centroids; " +
                "centroid spread = (largest - smallest centroid distance) / mean (0 = equidistant)");

            if (context.HasOutput(projection.Id, ProjectExecutor.GridName))
                context.AddOutputFigure(projection.Id, ProjectExecutor.GridName, $"{projection.Id}-grid",
                    "Penultimate activations projected onto the plane of the three class templates; rows: without / with label smoothing, columns: training / held-out examples.",
                    sentence);
            else
                foreach (var output in context.Outputs(projection.Id).Where(o => o.EndsWith(".png", StringComparison.Ordinal)))
                    context.AddOutputFigure(projection.Id, output, $"{projection.Id}-{Path.GetFileNameWithoutExtension(output)}",
                        "Penultimate activations projected onto the plane of the three class templates.", sentence);
        }
    }
}
