using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Datasets;

/// <summary>`fashion-mnist`: the four IDX files (<see cref="FashionMnistDataset"/>).</summary>
public sealed class FashionMnistKind() : DatasetKind<FashionMnistParameters>(Name, revision: 1,
    "Fashion-MNIST: 60k/10k 28x28 grayscale images, 10 classes (the four idx .gz files).", 60_000, 10_000)
{
    public const string Name = "fashion-mnist";

    public static readonly IReadOnlyList<string> FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    protected override IReadOnlyList<string> ClassNames(FashionMnistParameters p) => FashionMnistClasses;

    protected override IImageDataset Open(string path, FashionMnistParameters p) => new FashionMnistDataset(path);

    protected override (int Channels, int Height, int Width) ImageShape(FashionMnistParameters p) => (1, 28, 28);
}

/// <summary>A `fashion-mnist` dataset's keys.</summary>
public sealed record FashionMnistParameters(
    [Key("path", "Folder holding the data. Relative paths are relative to the pipeline file; the run store fingerprints the data itself.", AffectsResult = false)]
    string Path = "/usr/share/datasets/fashion-mnist",
    DatasetSplitParameters Splits = null!) : IDatasetParameters;
