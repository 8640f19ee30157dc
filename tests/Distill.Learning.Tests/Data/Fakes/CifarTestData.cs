using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Distill.Learning.Tests.Data.Fakes;

/// <summary>
/// Tiny CIFAR data in the real binary format: every record's label(s) and pixels follow known
/// formulas, so a test can tell which file, record and channel each value came from.
/// </summary>
internal sealed class CifarTestData
{
    public static readonly string[] Cifar10ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private CifarTestData(string archiveFolder, bool isCifar100, IReadOnlyList<string> trainFiles, string testFile, int recordsPerFile)
    {
        ArchiveFolder = archiveFolder;
        IsCifar100 = isCifar100;
        TrainFiles = trainFiles;
        TestFile = testFile;
        RecordsPerFile = recordsPerFile;
        var files = new Dictionary<string, byte[]>();
        var batchFiles = trainFiles.Append(testFile).ToArray();
        for (var f = 0; f < batchFiles.Length; f++)
            files[batchFiles[f]] = BuildBatch(f);
        if (isCifar100)
        {
            files["coarse_label_names.txt"] = NamesFile(Enumerable.Range(0, 20).Select(i => $"coarse_{i:00}"));
            files["fine_label_names.txt"] = NamesFile(Enumerable.Range(0, 100).Select(i => $"fine_{i:00}"));
        }
        else
        {
            files["batches.meta.txt"] = NamesFile(Cifar10ClassNames);
        }
        Files = files;
    }

    public static CifarTestData Cifar10(int recordsPerFile = 20) => new(
        "cifar-10-batches-bin", false,
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
        "test_batch.bin", recordsPerFile);

    public static CifarTestData Cifar100(int recordsPerFile = 20) => new(
        "cifar-100-binary", true, ["train.bin"], "test.bin", recordsPerFile);

    public string ArchiveFolder { get; }
    public bool IsCifar100 { get; }
    public IReadOnlyList<string> TrainFiles { get; }
    public string TestFile { get; }
    public int RecordsPerFile { get; }

    /// <summary>File name to content, as the archive's top folder holds them.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; }

    public int RecordSize => (IsCifar100 ? 2 : 1) + 3072;

    /// <summary>Pixel byte at offset (channel * 1024 + y * 32 + x) of record r in batch file f (train files first, then test).</summary>
    public static byte Pixel(int file, int record, int offset) =>
        (byte)((file * 37 + record * 11 + offset + offset / 1024 * 85) % 256);

    public static byte Cifar10Label(int file, int record) => (byte)((file * 3 + record) % 10);
    public static byte CoarseLabel(int file, int record) => (byte)((file + record) % 20);
    public static byte FineLabel(int file, int record) => (byte)((file * 7 + record * 3) % 100);

    /// <summary>Labels of a split in load order (fine ones for CIFAR-100 unless <paramref name="coarse"/>).</summary>
    public long[] ExpectedLabels(bool train, bool coarse = false) =>
        SplitFileIndices(train).SelectMany(f => Enumerable.Range(0, RecordsPerFile).Select(r => (long)(
            !IsCifar100 ? Cifar10Label(f, r) : coarse ? CoarseLabel(f, r) : FineLabel(f, r)))).ToArray();

    /// <summary>The split's images as N x 3 x 32 x 32 bytes, in load order.</summary>
    public byte[] ExpectedPixels(bool train) =>
        SplitFileIndices(train).SelectMany(f => Enumerable.Range(0, RecordsPerFile)
            .SelectMany(r => Enumerable.Range(0, 3072).Select(o => Pixel(f, r, o)))).ToArray();

    /// <summary>Writes the files into <paramref name="directory"/> (created if needed).</summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, content) in Files)
            File.WriteAllBytes(Path.Combine(directory, name), content);
    }

    /// <summary>The files as a .tar.gz under <see cref="ArchiveFolder"/>, like the official archive.</summary>
    public byte[] ToTarGz()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, ArchiveFolder + "/"));
            foreach (var (name, content) in Files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{ArchiveFolder}/{name}")
                {
                    DataStream = new MemoryStream(content),
                });
        }
        return output.ToArray();
    }

    public static string Md5(byte[] content) => "md5:" + Convert.ToHexStringLower(MD5.HashData(content));
    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private IEnumerable<int> SplitFileIndices(bool train) =>
        train ? Enumerable.Range(0, TrainFiles.Count) : [TrainFiles.Count];

    private byte[] BuildBatch(int file)
    {
        var bytes = new byte[RecordsPerFile * RecordSize];
        for (var r = 0; r < RecordsPerFile; r++)
        {
            var start = r * RecordSize;
            if (IsCifar100)
            {
                bytes[start] = CoarseLabel(file, r);
                bytes[start + 1] = FineLabel(file, r);
            }
            else
            {
                bytes[start] = Cifar10Label(file, r);
            }
            var pixelStart = start + RecordSize - 3072;
            for (var o = 0; o < 3072; o++)
                bytes[pixelStart + o] = Pixel(file, r, o);
        }
        return bytes;
    }

    // The official meta files end with blank lines; so do these, to prove they are skipped.
    private static byte[] NamesFile(IEnumerable<string> names) =>
        Encoding.ASCII.GetBytes(string.Join("\n", names) + "\n\n");
}
