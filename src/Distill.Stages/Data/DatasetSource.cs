using Distill.Learning.Data;

namespace Distill.Stages.Data;

/// <summary>Where a dataset comes from, as a pipeline or the command line names it.</summary>
public sealed record DatasetSource(string Kind, string? Path = null, bool Download = false, string Labels = "fine",
    int ImageSize = ImageFolderDataset.DefaultImageSize)
{
    public static readonly IReadOnlyList<string> Kinds = ["fashion-mnist", "cifar10", "cifar100", "image-folder"];

    public IImageDataset Open() => Kind switch
    {
        "fashion-mnist" => new FashionMnistDataset(Path),
        "cifar10" => new CifarDataset(new CifarOptions { Variant = CifarVariant.Cifar10, DataDirectory = Path, Download = Download }),
        "cifar100" => new CifarDataset(new CifarOptions
        {
            Variant = CifarVariant.Cifar100,
            DataDirectory = Path,
            Download = Download,
            Labels = Labels == "coarse" ? CifarLabels.Coarse : CifarLabels.Fine,
        }),
        "image-folder" => new ImageFolderDataset(
            Path ?? throw new DatasetException("an image-folder dataset needs a path (root/train/<class>/*, root/test/<class>/*)"),
            ImageSize),
        _ => throw new DatasetException($"unknown dataset kind '{Kind}' (expected {string.Join(", ", Kinds)})"),
    };
}
