using System.Globalization;
using System.Text;
using Distill.Analysis.Geometry;
using Distill.Analysis.Plotting;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;
using Distill.Stages.Models;
using static TorchSharp.torch;

namespace Distill.Stages.Kinds.Project;

/// <summary>
/// `project`: the penultimate activations of a few examples of three classes, projected onto the plane
/// through those classes' templates (rows of the last layer's weight), for one or two trained models
/// (without / with label smoothing) on the training and validation splits (paper section 2, Fig. 1).
/// Writes `projection.csv`, one PNG per (model, split) and, for two models, the 2 x 2 `projection-grid.png`.
/// </summary>
public sealed class ProjectExecutor : StageExecutor<ProjectParameters>
{
    public const string CsvName = "projection.csv";
    public const string GridName = "projection-grid.png";

    public override StageKindSpec Spec => ProjectKind.Definition;

    public static string PanelName(string modelStageId, string split) => $"projection-{modelStageId}-{split}.png";

    protected override StageResult Execute(StageContext context, ProjectParameters p)
    {
        int perClass = p.ExamplesPerClass;
        // Without smoothing first, so the grid's rows read "without, with".
        var models = context.Inputs["models"].OrderBy(m => context.Lineage.Alpha(m.Definition.Id)).ThenBy(m => m.Definition.Id, StringComparer.Ordinal).ToList();
        var dataset = context.Data.Get(models[0].Definition.Dataset!);
        var data = dataset.Prepared;
        var classes = ClassList.Resolve(p.Classes, data.ClassNames, context.Stage.Id);
        var classNames = classes.Select(c => data.ClassNames[c]).ToList();

        var heldOut = data.Validation.Count > 0 ? DataSplit.Validation : DataSplit.Test;
        var splits = new[] { DataSplit.Train, heldOut };
        var examples = splits.ToDictionary(s => s, s => Choose(data.Get(s), classes, perClass));
        foreach (var (split, chosen) in examples)
        {
            for (int c = 0; c < classes.Length; c++)
            {
                if (chosen[c].Length == 0)
                    throw new StageInputException($"stage '{context.Stage.Id}': the {Name(split)} split has no example of class '{classNames[c]}'");
                if (chosen[c].Length < perClass)
                    context.Observer.Info($"{context.Stage.Id}: only {chosen[c].Length} {Name(split)} examples of class '{classNames[c]}' (asked for {perClass})");
            }
        }

        var csv = new StringBuilder("model,split,class,x,y\n");
        var panels = new List<ProjectionPanel>();
        var metrics = new Dictionary<string, double>();
        foreach (var model in models)
        {
            if (context.Stop.IsCancellationRequested) return StageResult.Stopped;
            using var net = TeacherModel.Load(context, model, dataset);
            var plane = Plane(net, classes);
            foreach (var split in splits)
            {
                var projected = new List<ProjectedClass>();
                for (int c = 0; c < classes.Length; c++)
                {
                    var points = plane.ProjectRows(PenultimateActivations.Of(net, new BatchMaker(data.Get(split), data.Statistics, context.Device), examples[split][c]));
                    projected.Add(new ProjectedClass(classNames[c], points));
                    foreach (var point in points)
                        csv.Append(Csv(model.Definition.Id)).Append(',').Append(Name(split)).Append(',').Append(Csv(classNames[c])).Append(',')
                            .Append(MetricsFiles.FormatNumber(point.X)).Append(',').Append(MetricsFiles.FormatNumber(point.Y)).Append('\n');
                }

                var splitTitle = split == DataSplit.Train ? "training"
                    : split == DataSplit.Validation ? "validation" : "test (no validation split)";
                var panel = new ProjectionPanel($"{Describe(context, model)}: {splitTitle}", projected);
                panels.Add(panel);
                AtomicFile.WriteAllBytes(context.Directory.OutputPath(PanelName(model.Definition.Id, Name(split))), ProjectionPlot.Render(panel));

                var geometry = ClusterGeometry.Measure(projected.Select(c => (IReadOnlyList<PlanePoint>)c.Points.ToList()).ToList());
                var suffix = split == DataSplit.Train ? "" : "_" + Name(split);
                metrics[MetricNames.Tightness(model.Definition.Id, suffix)] = geometry.Tightness;
                metrics[MetricNames.CentroidSpread(model.Definition.Id, suffix)] = geometry.CentroidSpread;
            }
        }

        AtomicFile.WriteAllText(context.Directory.OutputPath(CsvName), csv.ToString());
        if (panels.Count == 4)
            AtomicFile.WriteAllBytes(context.Directory.OutputPath(GridName), ProjectionPlot.RenderGrid(panels));
        metrics[MetricNames.ExamplesPerClass] = perClass;
        return new StageResult(true, metrics);
    }

    private static string Describe(StageContext context, StageInputRef model) =>
        $"{model.Definition.Id} (alpha = {(context.Lineage.Alpha(model.Definition.Id) ?? 0).ToString("0.###", CultureInfo.InvariantCulture)})";

    /// <summary>Class indices; names are looked up for datasets whose classes the pipeline layer could not resolve.</summary>
    /// <summary>The first <paramref name="perClass"/> examples of each class, in index order (the same for every model).</summary>
    private static long[][] Choose(LabeledImages images, int[] classes, int perClass) =>
        classes.Select(c => Enumerable.Range(0, images.Count).Where(i => images.Labels[i] == c).Take(perClass).Select(i => (long)i).ToArray()).ToArray();

    private static TemplatePlane Plane(ClassifierNet net, int[] classes)
    {
        using var scope = NewDisposeScope();
        var weight = net.Classifier.weight!.detach().to(CPU).to_type(ScalarType.Float32).contiguous();
        int dimension = (int)weight.shape[1];
        var values = weight.data<float>().ToArray();
        float[] Row(int k) => values.AsSpan(k * dimension, dimension).ToArray();
        return TemplatePlane.FromTemplates(Row(classes[0]), Row(classes[1]), Row(classes[2]));
    }

    private static string Name(DataSplit split) => split.ToString().ToLowerInvariant();

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}

/// <summary>How tight and how evenly spaced the projected class clusters are.</summary>
/// <param name="Tightness">Mean distance of a point to its class centroid divided by the mean distance between centroids (smaller: tighter clusters).</param>
/// <param name="CentroidSpread">(largest - smallest) distance between centroids divided by their mean (0: equidistant clusters).</param>
public sealed record ClusterGeometry(double Tightness, double CentroidSpread)
{
    public static ClusterGeometry Measure(IReadOnlyList<IReadOnlyList<PlanePoint>> clusters)
    {
        if (clusters.Count < 2 || clusters.Any(c => c.Count == 0))
            throw new ArgumentException("Need at least two non-empty clusters.", nameof(clusters));
        var centroids = clusters.Select(c => new PlanePoint(c.Average(p => p.X), c.Average(p => p.Y))).ToList();
        double within = clusters.SelectMany((c, k) => c.Select(p => Distance(p, centroids[k]))).Average();
        var between = new List<double>();
        for (int i = 0; i < centroids.Count; i++)
            for (int j = i + 1; j < centroids.Count; j++)
                between.Add(Distance(centroids[i], centroids[j]));
        double mean = between.Average();
        return mean == 0
            ? new ClusterGeometry(double.PositiveInfinity, double.NaN)
            : new ClusterGeometry(within / mean, (between.Max() - between.Min()) / mean);
    }

    private static double Distance(PlanePoint a, PlanePoint b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
}
