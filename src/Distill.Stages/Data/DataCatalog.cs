using Distill.Learning.Data;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

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
        var p = DatasetParameters.From(definition.Parameters);
        var split = new SplitOptions
        {
            ValidationSize = p.Validation,
            TrainSubset = p.TrainSubset,
            TestSubset = p.TestSubset,
            SubsetMode = p.StratifiedSubset ? SubsetMode.Stratified : SubsetMode.FirstPerClass,
            Seed = pipeline.Seed,
        };
        dataset = new PipelineDataset(definition, Open(definition, p), split, new AugmentationSpec(p.CropPadding, p.Flip));
        _open[name] = dataset;
        return dataset;
    }

    internal static IImageDataset Open(DatasetDefinition d) => Open(d, DatasetParameters.From(d.Parameters));

    private static IImageDataset Open(DatasetDefinition d, DatasetParameters p)
    {
        return new DatasetSource(d.Kind, d.Path, p.Download, p.Labels ?? "fine", p.ImageSize ?? ImageFolderDataset.DefaultImageSize).Open();
    }

    public void Dispose()
    {
        foreach (var dataset in _open.Values) dataset.Dispose();
        _open.Clear();
    }
}
