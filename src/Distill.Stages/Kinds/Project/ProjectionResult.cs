using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Project;

/// <summary>Cluster geometry of one model's penultimate activations on one split ("training", "test" or "validation").</summary>
public sealed record ProjectionSplit(string Split, double Tightness, double CentroidSpread);

/// <summary>One model of a project stage (a train stage, or a distill stage: <see cref="IsStudent"/>), with the alpha and the replicate seed of the train stage behind it.</summary>
public sealed record ProjectedModel(string StageId, int? Replicate, string Group, double Alpha, IReadOnlyList<ProjectionSplit> Splits, bool IsStudent)
{
    public ProjectionSplit? Training => Splits.FirstOrDefault(s => s.Split == ProjectionResult.TrainingSplit);

    /// <summary>The held-out split measured (test or validation), if any.</summary>
    public ProjectionSplit? HeldOut => Splits.FirstOrDefault(s => s.Split != ProjectionResult.TrainingSplit);
}

/// <summary>A project stage's results, models in order of alpha.</summary>
public sealed record ProjectionResult(string Id, int? Replicate, string Group, IReadOnlyList<ProjectedModel> Models, double ExamplesPerClass = double.NaN) : IReplicated
{
    public const string TrainingSplit = "training";
}

/// <summary>Reads project stages' results for reports.</summary>
internal static class ProjectionResults
{
    public static IEnumerable<ProjectionResult> Read(ResultReader r, IReadOnlyList<StageInputRef> stages) =>
        stages.Select(p => new ProjectionResult(p.Definition.Id, r.ReplicateOf(p.Definition.Id), r.GroupOf(p.Definition.Id),
            (p.Definition.Inputs.GetValueOrDefault("models") ?? []).Select(m => new ProjectedModel(m, r.ReplicateOf(m), r.GroupOf(m), r.AlphaOf(m), ProjectedSplits(p, m), r.Pipeline.Stage(m).Kind == Distill.DistillKind.Name))
                .OrderBy(m => m.Alpha).ToList(), ResultReader.Metric(p, MetricNames.ExamplesPerClass)));

    /// <summary>The splits a project stage measured for one model: training examples, then the held-out split it used.</summary>
    private static List<ProjectionSplit> ProjectedSplits(StageInputRef projection, string model) =>
        new[] { (ProjectionResult.TrainingSplit, ""), ("test", "_test"), ("validation", "_validation") }
            .Where(s => projection.Manifest.Metrics.ContainsKey(MetricNames.Tightness(model, s.Item2)))
            .Select(s => new ProjectionSplit(s.Item1, ResultReader.Metric(projection, MetricNames.Tightness(model, s.Item2)),
                ResultReader.Metric(projection, MetricNames.CentroidSpread(model, s.Item2))))
            .ToList();
}
