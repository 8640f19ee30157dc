using Distill.Learning.Data;
using Distill.Pipelines;
using Distill.Stages.Datasets;

namespace Distill.Stages.Data;

/// <summary>A pipeline dataset, opened: its source, fingerprint and (lazily) its prepared splits.</summary>
public sealed class PipelineDataset(DatasetDefinition definition, IImageDataset source, SplitOptions split, AugmentationSpec augmentation) : IDisposable
{
    private PreparedData? _prepared;
    private string? _fingerprint;

    public DatasetDefinition Definition { get; } = definition;
    public AugmentationSpec Augmentation { get; } = augmentation;

    /// <summary>Identity of the source data; split and subset settings enter stage keys through the canonical definition.</summary>
    public string Fingerprint => _fingerprint ??= source.Fingerprint();

    public PreparedData Prepared => _prepared ??= DataPreparation.Prepare(source, split);

    public void Dispose() => _prepared?.Dispose();
}

/// <summary>The datasets of one pipeline run, each opened and prepared at most once.</summary>
public sealed class DataCatalog(PipelineDefinition pipeline) : IDisposable
{
    private readonly Dictionary<string, PipelineDataset> _open = [];

    public PipelineDataset Get(string name)
    {
        if (_open.TryGetValue(name, out var dataset)) return dataset;
        var definition = pipeline.Datasets[name];
        var kind = KindOf(pipeline, definition);
        var splits = kind.Splits(definition.Parameters);
        dataset = new PipelineDataset(definition, kind.Open(definition), splits.ToOptions(pipeline.Seed), splits.Augmentation.ToSpec());
        _open[name] = dataset;
        return dataset;
    }

    /// <summary>The reader of a dataset entry, unopened (for checks that need no data loaded).</summary>
    internal static IImageDataset Open(PipelineDefinition pipeline, DatasetDefinition d) => KindOf(pipeline, d).Open(d);

    private static DatasetKind KindOf(PipelineDefinition pipeline, DatasetDefinition d) =>
        pipeline.Catalogue.DatasetKind(d.Kind) as DatasetKind
        ?? throw new InvalidOperationException($"dataset kind '{d.Kind}' has no reader in this build");

    public void Dispose()
    {
        foreach (var dataset in _open.Values) dataset.Dispose();
        _open.Clear();
    }
}
