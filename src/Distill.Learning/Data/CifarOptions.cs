using Distill.Learning.Data.Download;

namespace Distill.Learning.Data;

/// <summary>Which CIFAR dataset.</summary>
public enum CifarVariant
{
    /// <summary>10 classes, 50,000 train / 10,000 test images.</summary>
    Cifar10,

    /// <summary>100 fine classes grouped into 20 coarse ones, 50,000 train / 10,000 test images.</summary>
    Cifar100,
}

/// <summary>Which of CIFAR-100's two labels an image gets (CIFAR-10 has only one).</summary>
public enum CifarLabels
{
    /// <summary>The 100 classes.</summary>
    Fine,

    /// <summary>The 20 superclasses.</summary>
    Coarse,
}

/// <summary>Where a <see cref="CifarDataset"/> finds its files and whether it may download them.</summary>
public sealed record CifarOptions
{
    public CifarVariant Variant { get; init; } = CifarVariant.Cifar10;

    /// <summary>CIFAR-100 only: fine (100) or coarse (20) labels.</summary>
    public CifarLabels Labels { get; init; } = CifarLabels.Fine;

    /// <summary>
    /// Folder holding the extracted binary files (or the archive's own top folder inside it);
    /// null means <see cref="DefaultDirectory"/>.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Download, verify and extract the archive when the files are not there.</summary>
    public bool Download { get; init; }

    /// <summary>Archive URL; null means the official one at the University of Toronto.</summary>
    public Uri? Url { get; init; }

    /// <summary>Archive checksum; null means the official archive's published MD5.</summary>
    public Checksum? Checksum { get; init; }

    /// <summary>Retries and timeouts of the download.</summary>
    public DownloadOptions DownloadOptions { get; init; } = new();

    /// <summary>Told how far the download has got.</summary>
    public Action<DownloadProgress>? Progress { get; init; }

    /// <summary>$XDG_CACHE_HOME/distill/datasets, or ~/.cache/distill/datasets.</summary>
    public static string DefaultRoot
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrWhiteSpace(cache))
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "distill", "datasets");
        }
    }

    /// <summary>&lt;DefaultRoot&gt;/cifar10 or &lt;DefaultRoot&gt;/cifar100.</summary>
    public static string DefaultDirectory(CifarVariant variant) =>
        Path.Combine(DefaultRoot, variant == CifarVariant.Cifar10 ? "cifar10" : "cifar100");
}
