using Distill.Learning.Data;
using Distill.Pipelines;
using Distill.Stages.Datasets;

namespace Distill.Stages.Data;

/// <summary>A pipeline dataset, opened: its source, fingerprint and (lazily) its prepared splits.</summary>
public sealed class PipelineDataset(DatasetDefinition definition, IImageDataset source, SplitOptions split, AugmentationSpec augmentation, bool planning = false) : IDisposable
{
    /// <summary>What a plan uses in place of the fingerprint of data the first run downloads (no key made with it is ever stored).</summary>
    public const string NotDownloadedYet = "not downloaded yet";

    private PreparedData? _prepared;
    private string? _fingerprint;

    public DatasetDefinition Definition { get; } = definition;
    public AugmentationSpec Augmentation { get; } = augmentation;

    /// <summary>Identity of the source data; split and subset settings enter stage keys through the canonical definition.</summary>
    public string Fingerprint => _fingerprint ??= planning && source.AwaitsDownload ? NotDownloadedYet : source.Fingerprint();

    public PreparedData Prepared => _prepared ??= DataPreparation.Prepare(source, split);

    public void Dispose() => _prepared?.Dispose();
}

/// <summary>
/// The datasets of one pipeline run, each opened and prepared at most once. A catalogue for <paramref name="planning"/>
/// downloads nothing: data still to be downloaded gets <see cref="PipelineDataset.NotDownloadedYet"/> as its fingerprint.
/// </summary>
public sealed class DataCatalog(PipelineDefinition pipeline, bool planning = false) : IDisposable
{
    private readonly Dictionary<string, PipelineDataset> _open = [];

    public PipelineDataset Get(string name)
    {
        if (_open.TryGetValue(name, out var dataset)) return dataset;
        var definition = pipeline.Datasets[name];
        var kind = KindOf(pipeline, definition);
        var splits = kind.Splits(definition.Parameters);
        dataset = new PipelineDataset(definition, kind.Open(definition), splits.ToOptions(pipeline.Seed), splits.Augmentation.ToSpec(), planning);
        _open[name] = dataset;
        return dataset;
    }

    /// <summary>What is wrong with a dataset entry's fixed standardisation, if it has one (checked without loading data).</summary>
    internal static string? StandardisationProblem(PipelineDefinition pipeline, DatasetDefinition d)
    {
        var kind = KindOf(pipeline, d);
        return kind.Splits(d.Parameters).Standardisation?.Problem(kind.ImageShape(d.Parameters).Channels);
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
