using Distill.Runs;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// Fashion-MNIST (60k train / 10k test, 28x28 grayscale, 10 classes) from the four idx files, by
/// default where Debian's package dataset-fashion-mnist installs them.
/// </summary>
public sealed class FashionMnistDataset(string? directory = null) : IImageDataset
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public static readonly IReadOnlyList<string> ClassNames =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public string Directory { get; } = directory ?? DefaultDirectory;

    public string Name => "fashion-mnist";

    public LabeledImages Load(SourceSplit split)
    {
        EnsureDirectory();
        var prefix = split == SourceSplit.Train ? "train" : "t10k";
        var imagesPath = FindFile($"{prefix}-images-idx3-ubyte");
        var labelsPath = FindFile($"{prefix}-labels-idx1-ubyte");
        var images = IdxFile.Read(imagesPath, 3);
        var labels = IdxFile.Read(labelsPath, 1);
        int n = images.Dimensions[0];
        if (labels.Dimensions[0] != n)
            throw new DatasetException($"{labelsPath}: {labels.Dimensions[0]} labels but {imagesPath} holds {n} images");
        var labelValues = new long[n];
        for (int i = 0; i < n; i++)
        {
            if (labels.Data[i] >= ClassNames.Count)
                throw new DatasetException($"{labelsPath}: label {labels.Data[i]} of example {i} is not a class index (0-9)");
            labelValues[i] = labels.Data[i];
        }
        var tensor = torch.tensor(images.Data, [n, 1, images.Dimensions[1], images.Dimensions[2]], ScalarType.Byte);
        return new LabeledImages(tensor, labelValues, ClassNames);
    }

    public string Fingerprint()
    {
        EnsureDirectory();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            var path = FindFile(name);
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            sha.AppendData(FileHash.Sha256OfSource(path));
        }
        return "fashion-mnist:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public void CheckPresent()
    {
        EnsureDirectory();
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            FindFile(name);
    }

    private void EnsureDirectory()
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new DatasetException(
                $"{Directory}: Fashion-MNIST directory not found; install it with 'apt-get install dataset-fashion-mnist' or set the dataset's 'path'");
    }

    private string FindFile(string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem })
        {
            var path = Path.Combine(Directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DatasetException($"{Path.Combine(Directory, stem + ".gz")}: file not found (Fashion-MNIST needs the four idx files)");
    }
}
