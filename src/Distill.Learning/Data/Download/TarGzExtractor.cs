using System.Formats.Tar;
using System.IO.Compression;

namespace Distill.Learning.Data.Download;

/// <summary>
/// Extracts the regular files and folders of a .tar.gz archive with the base library only. Links and
/// device entries are skipped, and no entry may write outside the destination ("../", rooted names).
/// </summary>
internal static class TarGzExtractor
{
    public static void Extract(string archivePath, string destination)
    {
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;

        using var file = File.OpenRead(archivePath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory))
                continue;
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                throw new InvalidDataException($"{archivePath}: entry '{entry.Name}' points outside the extraction folder");
            if (entry.EntryType == TarEntryType.Directory)
            {
                Directory.CreateDirectory(path);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            entry.ExtractToFile(path, overwrite: false);
        }
    }
}
