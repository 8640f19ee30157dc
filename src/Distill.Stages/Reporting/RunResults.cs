using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Stages.Reporting;

/// <summary>A figure recorded once per epoch, in epoch order; empty when the stage did not record it.</summary>
public sealed record EpochCurve(IReadOnlyList<(double Epoch, double Value)> Points)
{
    public IReadOnlyList<double> Values => Points.Select(p => p.Value).ToList();

    public static EpochCurve Of(StageManifest manifest, string metric) =>
        new(manifest.EpochMetrics.Where(e => e.Values.ContainsKey(metric)).OrderBy(e => e.Epoch)
            .Select(e => ((double)e.Epoch, e.Values[metric])).ToList());
}

/// <summary>
/// Where a stage sits among replicates: its <see cref="Replicate"/> seed (its own `seeds:` value, else that of the train
/// stage behind it; null for a stage run once), and its <see cref="Group"/>, the name shared by all replicates of one setting.
/// </summary>
public interface IReplicated
{
    string Id { get; }
    int? Replicate { get; }
    string Group { get; }
}

/// <summary>
/// The typed results of the completed stages a report reads, contributed by their kinds (<see cref="Kinds.StageKind.ReadResults"/>):
/// every metric name and every lineage question is answered there once, so sections and studies read fields, not strings.
/// </summary>
public sealed class RunResults
{
    private readonly Dictionary<Type, List<object>> _byType;
    private readonly Dictionary<Type, object> _typed = [];

    private RunResults(Dictionary<Type, List<object>> byType) => _byType = byType;

    /// <summary>Every result of one record type, in the order its kind gave them (typed once, then reused).</summary>
    public IReadOnlyList<T> Of<T>()
    {
        if (_typed.TryGetValue(typeof(T), out var typed)) return (IReadOnlyList<T>)typed;
        IReadOnlyList<T> list = _byType.TryGetValue(typeof(T), out var results) ? results.Cast<T>().ToList() : [];
        _typed[typeof(T)] = list;
        return list;
    }

    /// <summary>Results given as they are (a study judged on constructed numbers, or results read elsewhere).</summary>
    public static RunResults From(IEnumerable<object> results) =>
        new(results.GroupBy(r => r.GetType()).ToDictionary(g => g.Key, g => g.ToList()));

    public static RunResults Read(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages, IEnumerable<Kinds.StageKind>? kinds = null)
    {
        var reader = new ResultReader(pipeline);
        var byType = new Dictionary<Type, List<object>>();
        foreach (var kind in kinds ?? pipeline.Catalogue.Kinds.OfType<Kinds.StageKind>())
        {
            var ofKind = stages.Where(s => s.Definition.Kind == kind.Spec.Name).ToList();
            if (ofKind.Count == 0) continue;
            foreach (var result in kind.ReadResults(reader, ofKind))
            {
                if (!byType.TryGetValue(result.GetType(), out var list)) byType[result.GetType()] = list = [];
                list.Add(result);
            }
        }
        return new RunResults(byType);
    }

    /// <summary>
    /// The name all replicates of one setting share: the id for a stage run once; for a replicated stage its base name
    /// and its matrix values other than the seed, e.g. "teacher (alpha 0.1)".
    /// </summary>
    public static string GroupName(StageDefinition stage)
    {
        if (stage.Replicate is null) return stage.Id;
        var values = stage.MatrixValues.Where(v => v.Key != "seed").Select(v => $"{v.Key} {Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        return values.Count == 0 ? stage.BaseName : $"{stage.BaseName} ({string.Join(", ", values)})";
    }
}

/// <summary>What a kind's result reader asks of the pipeline: replicates, groups, the alpha behind a stage, final metrics.</summary>
public sealed class ResultReader(PipelineDefinition pipeline)
{
    public PipelineDefinition Pipeline { get; } = pipeline;

    public Lineage Lineage { get; } = new(pipeline);

    public double AlphaOf(string id) => Lineage.Alpha(id) ?? double.NaN;

    public int? ReplicateOf(string id) => Pipeline.Stage(id).Replicate ?? Lineage.TrainStage(id)?.Replicate;

    public string GroupOf(string id) => RunResults.GroupName(Pipeline.Stage(id));

    /// <summary>A final metric of a stage; NaN when it did not record it.</summary>
    public static double Metric(StageInputRef stage, string name) =>
        stage.Manifest.Metrics.TryGetValue(name, out var value) ? value : double.NaN;
}
