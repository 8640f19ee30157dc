using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Datasets;

/// <summary>`cifar10`: the binary version (<see cref="CifarDataset"/>).</summary>
public sealed class Cifar10Kind() : DatasetKind<Cifar10Parameters>(Name, revision: 1,
    "CIFAR-10: 50k/10k 32x32 colour images, 10 classes (binary version).", 50_000, 10_000)
{
    public const string Name = "cifar10";

    public static readonly IReadOnlyList<string> Cifar10Classes =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    protected override IReadOnlyList<string> ClassNames(Cifar10Parameters p) => Cifar10Classes;

    protected override (int Channels, int Height, int Width) ImageShape(Cifar10Parameters p) => (3, 32, 32);

    protected override IImageDataset Open(string path, Cifar10Parameters p) =>
        new CifarDataset(new CifarOptions { Variant = CifarVariant.Cifar10, DataDirectory = path, Download = p.Download });
}

/// <summary>A `cifar10` dataset's keys.</summary>
public sealed record Cifar10Parameters(
    [Key("path", "Folder holding the data. Relative paths are relative to the pipeline file; the run store fingerprints the data itself.", AffectsResult = false)] string Path = "data/cifar-10",
    [Key("download", CifarKeys.DownloadDescription, AffectsResult = false)] bool Download = false,
    DatasetSplitParameters Splits = null!) : IDatasetParameters;

/// <summary>Text the two CIFAR kinds share.</summary>
internal static class CifarKeys
{
    public const string DownloadDescription = "Download the official archive (checksum-verified) when it is missing.";
}
