using Distill.Learning.Data;
using Distill.Learning.Tests.Data.Fakes;
using SkiaSharp;
using TorchSharp;

namespace Distill.Learning.Tests.Data;

public sealed class ImageFolderTests : IDisposable
{
    private readonly CifarScratchDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Ordinal order puts upper case first: "Zebra" < "blue" < "green" < "red".
    private static readonly (string Name, SKColor Colour)[] Classes =
    [
        ("red", new SKColor(220, 30, 30)),
        ("green", new SKColor(30, 200, 40)),
        ("blue", new SKColor(20, 40, 210)),
        ("Zebra", new SKColor(128, 128, 128)),
    ];

    private static readonly string[] SortedClassNames = ["Zebra", "blue", "green", "red"];

    /// <summary>Writes a solid image of the given size and format.</summary>
    internal static void WriteImage(string path, SKColor colour, int width, int height, SKEncodedImageFormat format, bool grayscale = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var info = grayscale
            ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        bitmap.Erase(colour);
        using var stream = File.Create(path);
        Assert.True(bitmap.Encode(stream, format, 95), $"could not encode {path}");
    }

    /// <summary>train: 3 images per class (2 PNG of odd sizes, 1 JPEG); test: 1 PNG + 1 JPEG per class.</summary>
    private void WriteFolder(string root)
    {
        foreach (var (name, colour) in Classes)
        {
            WriteImage(Path.Combine(root, "train", name, "a.png"), colour, 20, 12, SKEncodedImageFormat.Png);
            WriteImage(Path.Combine(root, "train", name, "b.PNG"), colour, 64, 64, SKEncodedImageFormat.Png);
            WriteImage(Path.Combine(root, "train", name, "c.jpg"), colour, 40, 30, SKEncodedImageFormat.Jpeg);
            WriteImage(Path.Combine(root, "test", name, "x.JPEG"), colour, 16, 16, SKEncodedImageFormat.Jpeg);
            WriteImage(Path.Combine(root, "test", name, "y.png"), colour, 9, 33, SKEncodedImageFormat.Png);
            File.WriteAllText(Path.Combine(root, "train", name, "notes.txt"), "not an image");
        }
    }

    [Fact]
    public void LoadsBothSplitsWithSortedClassesLabelsAndShapes()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        var dataset = new ImageFolderDataset(root, imageSize: 16);

        using var train = dataset.Load(SourceSplit.Train);
        Assert.Equal(SortedClassNames, train.ClassNames);
        Assert.Equal(new long[] { 4 * 3, 3, 16, 16 }, train.Images.shape);
        Assert.Equal(torch.ScalarType.Byte, train.Images.dtype);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3 }, train.Labels);

        using var test = dataset.Load(SourceSplit.Test);
        Assert.Equal(SortedClassNames, test.ClassNames);
        Assert.Equal(new long[] { 4 * 2, 3, 16, 16 }, test.Images.shape);
        Assert.Equal(new long[] { 0, 0, 1, 1, 2, 2, 3, 3 }, test.Labels);
        Assert.Equal("image-folder", dataset.Name);
    }

    [Fact]
    public void PixelsKeepTheirColourAfterResizing()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        using var train = new ImageFolderDataset(root, imageSize: 8).Load(SourceSplit.Train);
        for (var i = 0; i < train.Count; i++)
        {
            var colour = Classes.Single(c => c.Name == train.ClassNames[(int)train.Labels[i]]).Colour;
            using var image = train.Images[i].to_type(torch.ScalarType.Float32);
            var expected = new[] { colour.Red, colour.Green, colour.Blue };
            for (var c = 0; c < 3; c++)
            {
                using var channel = image[c];
                var min = channel.min().item<float>();
                var max = channel.max().item<float>();
                Assert.InRange(min, expected[c] - 8, expected[c] + 8);
                Assert.InRange(max, expected[c] - 8, expected[c] + 8);
            }
        }
    }

    [Fact]
    public void GrayscaleImagesAreReplicatedIntoThreeChannels()
    {
        var root = _dir.Combine("gray");
        WriteImage(Path.Combine(root, "train", "only", "g.png"), new SKColor(90, 90, 90), 10, 10, SKEncodedImageFormat.Png, grayscale: true);
        WriteImage(Path.Combine(root, "test", "only", "g.jpeg"), new SKColor(200, 200, 200), 10, 10, SKEncodedImageFormat.Jpeg, grayscale: true);
        using var train = new ImageFolderDataset(root, 12).Load(SourceSplit.Train);
        Assert.Equal(new long[] { 1, 3, 12, 12 }, train.Images.shape);
        var pixels = train.Images.data<byte>().ToArray();
        Assert.All(pixels, p => Assert.InRange(p, (byte)88, (byte)92));
        using var test = new ImageFolderDataset(root, 12).Load(SourceSplit.Test);
        var t = test.Images.data<byte>().ToArray();
        var plane = 12 * 12;
        for (var i = 0; i < plane; i++)
        {
            Assert.Equal(t[i], t[plane + i]);
            Assert.Equal(t[i], t[2 * plane + i]);
        }
    }

    [Fact]
    public void ShrinkingAveragesInsteadOfPickingPixels()
    {
        // A one-pixel black/white checkerboard shrunk 25x must come out mid-grey, not black or white.
        var root = _dir.Combine("checker");
        var path = Path.Combine(root, "train", "c", "board.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var bitmap = new SKBitmap(new SKImageInfo(200, 200, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            for (var y = 0; y < 200; y++)
                for (var x = 0; x < 200; x++)
                    bitmap.SetPixel(x, y, (x + y) % 2 == 0 ? SKColors.White : SKColors.Black);
            using var stream = File.Create(path);
            bitmap.Encode(stream, SKEncodedImageFormat.Png, 100);
        }
        WriteImage(Path.Combine(root, "test", "c", "t.png"), SKColors.White, 4, 4, SKEncodedImageFormat.Png);
        using var train = new ImageFolderDataset(root, 8).Load(SourceSplit.Train);
        Assert.All(train.Images.data<byte>().ToArray(), p => Assert.InRange(p, (byte)96, (byte)160));
    }

    [Fact]
    public void FingerprintIsStableAndFollowsContentAndImageSize()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        var first = new ImageFolderDataset(root, 16).Fingerprint();
        Assert.StartsWith("image-folder:", first);
        Assert.Equal(first, new ImageFolderDataset(root, 16).Fingerprint());
        Assert.NotEqual(first, new ImageFolderDataset(root, 24).Fingerprint());

        WriteImage(Path.Combine(root, "train", "red", "a.png"), new SKColor(221, 30, 30), 20, 12, SKEncodedImageFormat.Png);
        File.SetLastWriteTimeUtc(Path.Combine(root, "train", "red", "a.png"), DateTime.UtcNow.AddMinutes(1));
        Assert.NotEqual(first, new ImageFolderDataset(root, 16).Fingerprint());
    }

    [Fact]
    public void MissingRootOrSplitIsReported()
    {
        var missing = _dir.Combine("nowhere");
        var e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(missing).Load(SourceSplit.Train));
        Assert.Contains("nowhere", e.Message);
        Assert.Contains("not found", e.Message);

        var root = _dir.Combine("no-test");
        WriteImage(Path.Combine(root, "train", "a", "1.png"), SKColors.Red, 4, 4, SKEncodedImageFormat.Png);
        e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Train));
        Assert.Contains(Path.Combine(root, "test"), e.Message);
        Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Fingerprint());

        var noTrain = _dir.Combine("no-train");
        WriteImage(Path.Combine(noTrain, "test", "a", "1.png"), SKColors.Red, 4, 4, SKEncodedImageFormat.Png);
        e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(noTrain).Load(SourceSplit.Test));
        Assert.Contains(Path.Combine(noTrain, "train"), e.Message);
    }

    [Fact]
    public void NoClassFoldersIsReported()
    {
        var root = _dir.Combine("flat");
        WriteImage(Path.Combine(root, "train", "loose.png"), SKColors.Red, 4, 4, SKEncodedImageFormat.Png);
        Directory.CreateDirectory(Path.Combine(root, "test"));
        var e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Train));
        Assert.Contains("no class folders", e.Message);
    }

    [Fact]
    public void AClassFolderWithoutImagesIsReported()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        var empty = Path.Combine(root, "train", "empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        Directory.CreateDirectory(Path.Combine(root, "test", "empty"));
        var e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Train));
        Assert.Contains(empty, e.Message);
        Assert.Contains("no images", e.Message);
    }

    [Fact]
    public void AFileThatDoesNotDecodeIsNamed()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        var bad = Path.Combine(root, "train", "green", "broken.jpg");
        File.WriteAllBytes(bad, [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        var e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Train));
        Assert.Contains(bad, e.Message);
        Assert.DoesNotContain('\n', e.Message);

        var text = Path.Combine(root, "test", "red", "text.png");
        File.WriteAllText(text, "hello");
        e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Test));
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void TestClassesMustMatchTrainingClasses()
    {
        var root = _dir.Combine("images");
        WriteFolder(root);
        WriteImage(Path.Combine(root, "test", "purple", "p.png"), SKColors.Purple, 4, 4, SKEncodedImageFormat.Png);
        Directory.Delete(Path.Combine(root, "test", "red"), recursive: true);
        var e = Assert.Throws<DatasetException>(() => new ImageFolderDataset(root).Load(SourceSplit.Train));
        Assert.Contains("differ", e.Message);
        Assert.Contains("missing from test: red", e.Message);
        Assert.Contains("only in test: purple", e.Message);
    }
}
