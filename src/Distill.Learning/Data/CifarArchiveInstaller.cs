using Distill.Learning.Data.Download;

namespace Distill.Learning.Data;

/// <summary>
/// Finds a CIFAR variant's extracted files in a folder, or downloads, verifies and extracts the
/// archive into it. The folder only ever appears by one rename of a fully extracted staging folder,
/// so a folder that holds the expected files is complete; a failed run leaves nothing behind but a
/// resumable "&lt;archive&gt;.part" (and not even that after a checksum mismatch).
/// </summary>
internal sealed class CifarArchiveInstaller(CifarLayout layout, CifarOptions options, string directory)
{
    /// <summary>The folder holding the files: the directory itself or the archive's top folder inside it; null if neither.</summary>
    public string? FindDataFolder()
    {
        if (HasAllFiles(directory))
            return directory;
        var nested = Path.Combine(directory, layout.ArchiveFolder);
        return HasAllFiles(nested) ? nested : null;
    }

    /// <summary>Throws unless the files are installed or may be downloaded.</summary>
    public void CheckInstalledOrDownloadable()
    {
        if (FindDataFolder() is null && !options.Download) throw NotFound();
    }

    private DatasetException NotFound() => new(
        $"{layout.DisplayName} data not found in {directory} (expected {string.Join(", ", layout.ExpectedFiles)}). " +
        $"Enable download to fetch {Url}, or set the dataset directory to a folder holding the extracted files of {layout.ArchiveFileName}.");

    public async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (FindDataFolder() is { } found)
            return found;
        if (!options.Download)
            throw NotFound();
        // Checked before downloading: we never merge into, or delete, a folder we did not make.
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new DatasetException(
                $"{directory} exists but lacks {layout.DisplayName} files ({string.Join(", ", MissingFiles(directory))}). " +
                "Remove or empty it to download afresh, or point the dataset directory elsewhere.");

        var parent = Path.GetDirectoryName(directory)!;
        Directory.CreateDirectory(parent);
        // Beside the data folder, so that an interrupted download resumes on the next run.
        var archive = Path.Combine(parent, layout.ArchiveFileName);
        using (var downloader = new ResilientDownloader(options.DownloadOptions))
            await downloader.DownloadAsync(Url, archive, options.Checksum ?? layout.OfficialChecksum, options.Progress, cancellationToken)
                .ConfigureAwait(false);

        var staging = $"{directory}.partial-{Guid.NewGuid():N}";
        try
        {
            try
            {
                TarGzExtractor.Extract(archive, staging);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
            {
                throw new DatasetException($"{archive} (from {Url}) could not be extracted: {e.Message}", e);
            }
            var extracted = new[] { staging, Path.Combine(staging, layout.ArchiveFolder) }.FirstOrDefault(HasAllFiles)
                ?? throw new DatasetException(
                    $"{Url} does not hold the {layout.DisplayName} binary files ({string.Join(", ", layout.ExpectedFiles)}); check the configured URL.");
            if (Directory.Exists(directory))
                Directory.Delete(directory); // empty, checked above; Move needs the name free
            try
            {
                Directory.Move(extracted, directory);
            }
            catch (IOException) when (FindDataFolder() is not null)
            {
                // Another process installed the same data meanwhile; theirs is as good as ours.
            }
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            // The archive is verified and extracted (or useless): 160 MB we need not keep.
            File.Delete(archive);
        }
        return FindDataFolder() ?? throw new DatasetException($"{directory}: extracted files vanished after installing.");
    }

    private Uri Url => options.Url ?? layout.OfficialUrl;

    private bool HasAllFiles(string folder) => layout.ExpectedFiles.All(name => File.Exists(Path.Combine(folder, name)));

    private IEnumerable<string> MissingFiles(string folder) =>
        layout.ExpectedFiles.Where(name => !File.Exists(Path.Combine(folder, name)));
}
