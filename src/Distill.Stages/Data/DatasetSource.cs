using Distill.Learning.Data;

namespace Distill.Stages.Data;

/// <summary>Where a dataset comes from, as a pipeline or the command line names it.</summary>
public sealed record DatasetSource(string Kind, string? Path = null, bool Download = false, string Labels = "fine")
{
    public static readonly IReadOnlyList<string> Kinds = ["fashion-mnist", "cifar10", "cifar100"];

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
        _ => throw new DatasetException($"unknown dataset kind '{Kind}' (expected {string.Join(", ", Kinds)})"),
    };
}
