using System.IO.Compression;
using Distill.Learning.Data;

namespace Distill.Learning.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("distill-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteGz(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
        return path;
    }

    private static byte[] ImagesFile(int n, int h, int w, int dropBytes = 0)
    {
        var header = new byte[] { 0, 0, 8, 3, 0, 0, 0, (byte)n, 0, 0, 0, (byte)h, 0, 0, 0, (byte)w };
        var data = Enumerable.Range(0, n * h * w).Select(i => (byte)(i % 251)).ToArray();
        return header.Concat(data).SkipLast(dropBytes).ToArray();
    }

    [Fact]
    public void ReadsDimensionsAndData()
    {
        var path = WriteGz("images.gz", ImagesFile(3, 4, 5));
        var content = IdxFile.Read(path, 3);
        Assert.Equal(new[] { 3, 4, 5 }, content.Dimensions);
        Assert.Equal(60, content.Data.Length);
        Assert.Equal(59, content.Data[59]);
    }

    [Fact]
    public void TruncatedFileNamesFileAndSizes()
    {
        var path = WriteGz("images.gz", ImagesFile(3, 4, 5, dropBytes: 7));
        var error = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("53", error.Message);
    }

    [Fact]
    public void WrongMagicNamesFile()
    {
        var bytes = ImagesFile(3, 4, 5);
        bytes[2] = 0x0D; // float data, not unsigned bytes
        var path = WriteGz("images.gz", bytes);
        var error = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, error.Message);
        Assert.Contains("wrong magic", error.Message);
    }

    [Fact]
    public void NotGzipIsAClearError()
    {
        var path = Path.Combine(_dir, "broken.gz");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var error = Assert.Throws<DatasetException>(() => IdxFile.Read(path, 1));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void MissingDirectoryTellsHowToInstall()
    {
        var missing = Path.Combine(_dir, "nowhere");
        var error = Assert.Throws<DatasetException>(() => new FashionMnistDataset(missing).Load(SourceSplit.Train));
        Assert.Contains(missing, error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
    }
}
