using Distill.Runs;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// Images in class folders: <c>root/train/&lt;class&gt;/*</c> and <c>root/test/&lt;class&gt;/*</c>, PNG or JPEG
/// (.png, .jpg, .jpeg, any case). Class names are the folder names sorted ordinally (both splits must have
/// the same ones); files are read in ordinal name order. Every image is decoded with SkiaSharp, resized to
/// <see cref="ImageSize"/> x <see cref="ImageSize"/> and converted to RGB, giving uint8 N x 3 x S x S.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    public const int DefaultImageSize = 32;

    private string? _fingerprint;

    public ImageFolderDataset(string root, int imageSize = DefaultImageSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        ImageSize = imageSize;
    }

    /// <summary>The folder holding train/ and test/ (absolute).</summary>
    public string Root { get; }

    /// <summary>Side in pixels every image is resized to.</summary>
    public int ImageSize { get; }

    public string Name => "image-folder";

    /// <summary>Class names (sorted folder names of the training split), after checking the test split agrees.</summary>
    public IReadOnlyList<string> ClassNames() => ScanBoth().Train.ClassNames;

    public LabeledImages Load(SourceSplit split)
    {
        var (train, test) = ScanBoth();
        var layout = split == SourceSplit.Train ? train : test;
        var files = layout.Files;
        var imageBytes = 3 * ImageSize * ImageSize;
        if ((long)files.Count * imageBytes > Array.MaxLength)
            throw new DatasetException(
                $"{layout.SplitFolder}: {files.Count} images of {ImageSize}x{ImageSize} do not fit in memory as one tensor; lower image-size or use fewer images");

        var pixels = new byte[files.Count * imageBytes];
        var labels = new long[files.Count];
        var errors = new DatasetException?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                ImageDecoder.DecodeInto(files[i].FullPath, ImageSize, pixels.AsSpan(i * imageBytes, imageBytes));
            }
            catch (DatasetException e)
            {
                errors[i] = e;
            }
            labels[i] = files[i].Label;
        });
        // The first bad file in file order, whatever order the threads met them in.
        if (errors.FirstOrDefault(e => e is not null) is { } error)
        {
            var count = errors.Count(e => e is not null);
            throw count == 1 ? error : new DatasetException($"{error.Message} (and {count - 1} more file(s) that fail to decode)", error);
        }
        var images = tensor(pixels, new long[] { files.Count, 3, ImageSize, ImageSize }, ScalarType.Byte);
        return new LabeledImages(images, labels, train.ClassNames);
    }

    /// <summary>"image-folder:&lt;sha-256 hex&gt;" over the image size and every image's relative path and content.</summary>
    public string Fingerprint()
    {
        if (_fingerprint is not null) return _fingerprint;
        var (train, test) = ScanBoth();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"distill-image-folder-fingerprint-v1\nimage-size={ImageSize}\n"));
        foreach (var file in train.Files.Concat(test.Files))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(file.RelativePath + "\n"));
            sha.AppendData(FileHash.Sha256OfSource(file.FullPath));
        }
        return _fingerprint = "image-folder:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Scans both splits' folders (names only; no image is decoded).</summary>
    public void CheckPresent() => ScanBoth();

    private (ImageFolderLayout Train, ImageFolderLayout Test) ScanBoth()
    {
        var train = ImageFolderLayout.Scan(Root, SourceSplit.Train);
        var test = ImageFolderLayout.Scan(Root, SourceSplit.Test);
        ImageFolderLayout.CheckSameClasses(train, test);
        return (train, test);
    }
}
