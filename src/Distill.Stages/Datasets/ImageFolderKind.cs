using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Datasets;

/// <summary>`image-folder`: images in one folder per class (<see cref="ImageFolderDataset"/>); the folders name the classes.</summary>
public sealed class ImageFolderKind() : DatasetKind<ImageFolderParameters>(Name, revision: 1,
    "Images in class folders (root/train/<class>/*, root/test/<class>/*), resized to a square.")
{
    public const string Name = "image-folder";

    protected override IReadOnlyList<string>? ClassNames(ImageFolderParameters p) => null;

    protected override IImageDataset Open(string path, ImageFolderParameters p) => new ImageFolderDataset(path, p.ImageSize);

    protected override (int Channels, int Height, int Width) ImageShape(ImageFolderParameters p) => (3, p.ImageSize, p.ImageSize);
}

/// <summary>An `image-folder` dataset's keys.</summary>
public sealed record ImageFolderParameters(
    [Key("path", "Root folder of the images: one sub-folder per class under train/ and test/. Relative paths are relative to the pipeline file.", AffectsResult = false)]
    string Path,
    [Key("image-size", "Side in pixels images are resized to.", Min = 8)] int ImageSize = ImageFolderDataset.DefaultImageSize,
    DatasetSplitParameters Splits = null!) : IDatasetParameters;
