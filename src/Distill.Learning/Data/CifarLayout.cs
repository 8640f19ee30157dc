using Distill.Learning.Data.Download;

namespace Distill.Learning.Data;

/// <summary>
/// What the official binary archive of one CIFAR variant holds and how its records are laid out.
/// URLs and MD5s are those published on https://www.cs.toronto.edu/~kriz/cifar.html.
/// </summary>
internal sealed record CifarLayout(
    string Name,
    string DisplayName,
    string ArchiveFileName,
    string ArchiveFolder,
    Uri OfficialUrl,
    Checksum OfficialChecksum,
    IReadOnlyList<string> TrainFiles,
    IReadOnlyList<string> TestFiles,
    IReadOnlyList<string> MetaFiles,
    string ClassNamesFile,
    int LabelBytes,
    int LabelOffset,
    int ClassCount)
{
    public const int ImageBytes = 3 * 32 * 32;

    public int RecordSize => LabelBytes + ImageBytes;

    /// <summary>Every file the extracted archive must hold for the data to count as present.</summary>
    public IEnumerable<string> ExpectedFiles => TrainFiles.Concat(TestFiles).Concat(MetaFiles);

    public static CifarLayout For(CifarVariant variant, CifarLabels labels) => variant switch
    {
        CifarVariant.Cifar10 => new CifarLayout(
            Name: "cifar10",
            DisplayName: "CIFAR-10",
            ArchiveFileName: "cifar-10-binary.tar.gz",
            ArchiveFolder: "cifar-10-batches-bin",
            OfficialUrl: new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
            OfficialChecksum: Checksum.Parse("md5:c32a1d4ab5d03f1284b67883e8d87530"),
            TrainFiles: ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
            TestFiles: ["test_batch.bin"],
            MetaFiles: ["batches.meta.txt"],
            ClassNamesFile: "batches.meta.txt",
            LabelBytes: 1,
            LabelOffset: 0,
            ClassCount: 10),
        CifarVariant.Cifar100 => new CifarLayout(
            Name: labels == CifarLabels.Coarse ? "cifar100-coarse" : "cifar100",
            DisplayName: labels == CifarLabels.Coarse ? "CIFAR-100 (coarse labels)" : "CIFAR-100",
            ArchiveFileName: "cifar-100-binary.tar.gz",
            ArchiveFolder: "cifar-100-binary",
            OfficialUrl: new Uri("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"),
            OfficialChecksum: Checksum.Parse("md5:03b5dce01913d631647c71ecec9e9cb8"),
            TrainFiles: ["train.bin"],
            TestFiles: ["test.bin"],
            MetaFiles: ["coarse_label_names.txt", "fine_label_names.txt"],
            ClassNamesFile: labels == CifarLabels.Coarse ? "coarse_label_names.txt" : "fine_label_names.txt",
            // Each record starts with the coarse label byte, then the fine one.
            LabelBytes: 2,
            LabelOffset: labels == CifarLabels.Coarse ? 0 : 1,
            ClassCount: labels == CifarLabels.Coarse ? 20 : 100),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };
}
