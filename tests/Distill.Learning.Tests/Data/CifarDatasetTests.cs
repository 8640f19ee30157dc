using Distill.Learning.Data;
using Distill.Learning.Tests.Data.Fakes;

namespace Distill.Learning.Tests.Data;

/// <summary>Reading CIFAR binary files already on disk: labels, layout checks and error messages.</summary>
public sealed class CifarDatasetTests : IDisposable
{
    private readonly CifarScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Cifar100FineAndCoarseLabelsComeFromTheirOwnBytes()
    {
        var data = CifarTestData.Cifar100(recordsPerFile: 30);
        var folder = _scratch.Combine("cifar100");
        data.WriteTo(folder);
        var fine = new CifarDataset(new CifarOptions { Variant = CifarVariant.Cifar100, DataDirectory = folder });
        var coarse = new CifarDataset(new CifarOptions { Variant = CifarVariant.Cifar100, Labels = CifarLabels.Coarse, DataDirectory = folder });

        using var fineTrain = fine.Load(SourceSplit.Train);
        using var coarseTrain = coarse.Load(SourceSplit.Train);
        using var coarseTest = coarse.Load(SourceSplit.Test);

        Assert.Equal(data.ExpectedLabels(train: true), fineTrain.Labels);
        Assert.Equal(data.ExpectedLabels(train: true, coarse: true), coarseTrain.Labels);
        Assert.Equal(data.ExpectedLabels(train: false, coarse: true), coarseTest.Labels);
        // Record 5 of train.bin: coarse (0 + 5) % 20, fine (0 + 15) % 100.
        Assert.Equal(5, coarseTrain.Labels[5]);
        Assert.Equal(15, fineTrain.Labels[5]);
        Assert.Equal(new long[] { 30, 3, 32, 32 }, fineTrain.Images.shape);
        Assert.Equal(data.ExpectedPixels(train: true), fineTrain.Images.data<byte>().ToArray());
        Assert.Equal(data.ExpectedPixels(train: false), coarseTest.Images.data<byte>().ToArray());
        Assert.Equal(100, fineTrain.ClassNames.Count);
        Assert.Equal("fine_42", fineTrain.ClassNames[42]);
        Assert.Equal(20, coarseTrain.ClassNames.Count);
        Assert.Equal("coarse_07", coarseTrain.ClassNames[7]);
        Assert.Equal(("cifar100", "cifar100-coarse"), (fine.Name, coarse.Name));
        Assert.NotEqual(fine.Fingerprint(), coarse.Fingerprint());
    }

    [Fact]
    public void AFileThatIsNotWholeRecordsIsNamedWithRecordSizeAndLength()
    {
        var folder = _scratch.Combine("cifar10");
        CifarTestData.Cifar10().WriteTo(folder);
        var broken = Path.Combine(folder, "data_batch_3.bin");
        var bytes = File.ReadAllBytes(broken);
        File.WriteAllBytes(broken, bytes[..^1]);

        var error = Assert.Throws<DatasetException>(() => new CifarDataset(new CifarOptions { DataDirectory = folder }).Load(SourceSplit.Train));

        Assert.Contains(broken, error.Message);
        Assert.Contains("3073-byte", error.Message);
        Assert.Contains($"{bytes.Length - 1} bytes", error.Message);
    }

    [Fact]
    public void AnOutOfRangeLabelIsNamedWithFileAndRecord()
    {
        var folder = _scratch.Combine("cifar10");
        CifarTestData.Cifar10().WriteTo(folder);
        var batch = Path.Combine(folder, "test_batch.bin");
        var bytes = File.ReadAllBytes(batch);
        bytes[7 * 3073] = 10; // CIFAR-10 labels are 0..9
        File.WriteAllBytes(batch, bytes);

        var dataset = new CifarDataset(new CifarOptions { DataDirectory = folder });
        var error = Assert.Throws<DatasetException>(() => dataset.Load(SourceSplit.Test));

        Assert.Contains(batch, error.Message);
        Assert.Contains("record 7 has label 10", error.Message);
        using var train = dataset.Load(SourceSplit.Train); // the other split is untouched
        Assert.Equal(100, train.Count);
    }

    [Fact]
    public void AMissingDirectoryWithoutDownloadSaysWhereAndHowToFixIt()
    {
        var folder = _scratch.Combine("nowhere", "cifar10");

        var error = Assert.Throws<DatasetException>(() => new CifarDataset(new CifarOptions { DataDirectory = folder }).Load(SourceSplit.Train));

        Assert.Contains(folder, error.Message);
        Assert.Contains("Enable download", error.Message);
        Assert.Contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", error.Message);
        Assert.False(Directory.Exists(folder)); // reading never creates anything
    }

    [Fact]
    public void FindsTheArchivesTopFolderInsideTheDirectory()
    {
        var data = CifarTestData.Cifar10(recordsPerFile: 4);
        var folder = _scratch.Combine("cifar10");
        data.WriteTo(Path.Combine(folder, "cifar-10-batches-bin"));

        using var test = new CifarDataset(new CifarOptions { DataDirectory = folder }).Load(SourceSplit.Test);

        Assert.Equal(data.ExpectedLabels(train: false), test.Labels);
    }

    [Fact]
    public void WrongNumberOfClassNamesIsReported()
    {
        var folder = _scratch.Combine("cifar10");
        CifarTestData.Cifar10(recordsPerFile: 2).WriteTo(folder);
        var meta = Path.Combine(folder, "batches.meta.txt");
        File.WriteAllText(meta, "airplane\nautomobile\n");

        var error = Assert.Throws<DatasetException>(() => new CifarDataset(new CifarOptions { DataDirectory = folder }).Load(SourceSplit.Test));

        Assert.Contains(meta, error.Message);
        Assert.Contains("2 class names", error.Message);
    }

    [Fact]
    public void FingerprintIsStableAndFollowsContent()
    {
        var folder = _scratch.Combine("cifar10");
        CifarTestData.Cifar10(recordsPerFile: 2).WriteTo(folder);
        var before = new CifarDataset(new CifarOptions { DataDirectory = folder }).Fingerprint();
        Assert.Equal(before, new CifarDataset(new CifarOptions { DataDirectory = folder }).Fingerprint());

        // Same size, one pixel changed (and a later mtime, as any rewrite gives).
        var batch = Path.Combine(folder, "data_batch_4.bin");
        var bytes = File.ReadAllBytes(batch);
        bytes[100] ^= 1;
        File.WriteAllBytes(batch, bytes);
        File.SetLastWriteTimeUtc(batch, DateTime.UtcNow.AddMinutes(1));
        var after = new CifarDataset(new CifarOptions { DataDirectory = folder }).Fingerprint();

        Assert.Matches("^cifar10:[0-9a-f]{64}$", before);
        Assert.NotEqual(before, after);
    }
}
