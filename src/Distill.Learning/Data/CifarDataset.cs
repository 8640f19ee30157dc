using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// CIFAR-10 or CIFAR-100 (fine or coarse labels) from the official binary archives: read from a
/// local folder, or downloaded (retried, resumable, checksum-verified) and extracted into it when
/// <see cref="CifarOptions.Download"/> is set.
/// </summary>
public sealed class CifarDataset : IImageDataset
{
    private readonly CifarLayout _layout;
    private readonly CifarArchiveInstaller _installer;
    private readonly SemaphoreSlim _installLock = new(1, 1);
    private string? _fingerprint;

    public CifarDataset(CifarOptions? options = null)
    {
        Options = options ?? new CifarOptions();
        _layout = CifarLayout.For(Options.Variant, Options.Labels);
        // No trailing separator: sibling names such as "<dir>.partial-..." must land beside it, not in it.
        DataDirectory = Path.TrimEndingDirectorySeparator(
            Path.GetFullPath(Options.DataDirectory ?? CifarOptions.DefaultDirectory(Options.Variant)));
        _installer = new CifarArchiveInstaller(_layout, Options, DataDirectory);
    }

    public CifarOptions Options { get; }

    /// <summary>"cifar10", "cifar100" or "cifar100-coarse".</summary>
    public string Name => _layout.Name;

    /// <summary>The configured folder (absolute).</summary>
    public string DataDirectory { get; }

    /// <summary>Number of classes of the chosen labels (10, 100 or 20).</summary>
    public int ClassCount => _layout.ClassCount;

    /// <summary>
    /// Makes sure the files are present, downloading them if allowed; returns the folder that holds
    /// them. Lets a host fetch the data up front, with cancellation, before a long run.
    /// </summary>
    public async Task<string> EnsureAvailableAsync(CancellationToken cancellationToken = default)
    {
        await _installLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _installer.EnsureInstalledAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _installLock.Release();
        }
    }

    public LabeledImages Load(SourceSplit split)
    {
        var folder = EnsureAvailable();
        var files = split == SourceSplit.Train ? _layout.TrainFiles : _layout.TestFiles;
        var classNames = CifarRecordReader.ReadClassNames(Path.Combine(folder, _layout.ClassNamesFile), _layout);
        var (pixels, labels) = CifarRecordReader.Read(files.Select(name => Path.Combine(folder, name)).ToList(), _layout);
        var images = tensor(pixels, new long[] { labels.Length, 3, 32, 32 }, ScalarType.Byte);
        return new LabeledImages(images, labels, classNames);
    }

    /// <summary>"&lt;name&gt;:&lt;sha-256 hex&gt;" over the name, the label choice and every file's name and content.</summary>
    public string Fingerprint() =>
        _fingerprint ??= $"{Name}:" + CifarFingerprint.Compute(
            $"{Name}\nlabel-offset={_layout.LabelOffset}", EnsureAvailable(), _layout.ExpectedFiles);

    public void CheckPresent() => _installer.CheckInstalledOrDownloadable();

    public bool AwaitsDownload => _installer.FindDataFolder() is null;

    // IImageDataset is synchronous; the download itself is async and blocks only here.
    private string EnsureAvailable() => EnsureAvailableAsync().GetAwaiter().GetResult();
}
