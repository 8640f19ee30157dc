namespace Distill.Learning.Data;

/// <summary>One image file of an image folder: its path, its path relative to the root ('/'-separated) and its class.</summary>
internal sealed record ImageFolderFile(string FullPath, string RelativePath, int Label);

/// <summary>
/// The files of one split of an image folder (<c>root/&lt;split&gt;/&lt;class&gt;/*</c>): class names are the
/// sub-folder names sorted ordinally; files are the .png/.jpg/.jpeg files (any case) of each class
/// folder, sorted ordinally by name. Hidden entries (names starting with '.') and other files are ignored.
/// </summary>
internal sealed class ImageFolderLayout
{
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg"];

    private ImageFolderLayout(string splitFolder, IReadOnlyList<string> classNames, IReadOnlyList<ImageFolderFile> files)
    {
        SplitFolder = splitFolder;
        ClassNames = classNames;
        Files = files;
    }

    public string SplitFolder { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<ImageFolderFile> Files { get; }

    public static string SplitName(SourceSplit split) => split == SourceSplit.Train ? "train" : "test";

    public static bool IsImage(string path) =>
        Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Scans one split; throws <see cref="DatasetException"/> for a missing folder, no classes or an empty class.</summary>
    public static ImageFolderLayout Scan(string root, SourceSplit split)
    {
        var name = SplitName(split);
        var splitFolder = Path.Combine(root, name);
        if (!Directory.Exists(root))
            throw new DatasetException($"{root}: image folder not found (expected {root}/train/<class>/* and {root}/test/<class>/*)");
        if (!Directory.Exists(splitFolder))
            throw new DatasetException($"{splitFolder}: folder not found; an image folder needs train/ and test/, each with one sub-folder per class");

        var classNames = Directory.GetDirectories(splitFolder)
            .Select(Path.GetFileName)
            .Where(n => !string.IsNullOrEmpty(n) && !n.StartsWith('.'))
            .Select(n => n!)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (classNames.Length == 0)
            throw new DatasetException($"{splitFolder}: no class folders (expected one sub-folder of images per class)");

        var files = new List<ImageFolderFile>();
        for (var label = 0; label < classNames.Length; label++)
        {
            var classFolder = Path.Combine(splitFolder, classNames[label]);
            var images = Directory.GetFiles(classFolder)
                .Select(p => Path.GetFileName(p))
                .Where(n => !n.StartsWith('.') && IsImage(n))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (images.Length == 0)
                throw new DatasetException(
                    $"{classFolder}: class folder holds no images ({string.Join(", ", Extensions)}, any case)");
            foreach (var image in images)
                files.Add(new ImageFolderFile(Path.Combine(classFolder, image), $"{name}/{classNames[label]}/{image}", label));
        }
        return new ImageFolderLayout(splitFolder, classNames, files);
    }

    /// <summary>Throws when the test split's classes are not exactly the training split's.</summary>
    public static void CheckSameClasses(ImageFolderLayout train, ImageFolderLayout test)
    {
        if (train.ClassNames.SequenceEqual(test.ClassNames, StringComparer.Ordinal)) return;
        var missing = train.ClassNames.Except(test.ClassNames, StringComparer.Ordinal).ToArray();
        var extra = test.ClassNames.Except(train.ClassNames, StringComparer.Ordinal).ToArray();
        var parts = new List<string>();
        if (missing.Length > 0) parts.Add($"missing from test: {string.Join(", ", missing)}");
        if (extra.Length > 0) parts.Add($"only in test: {string.Join(", ", extra)}");
        throw new DatasetException(
            $"{test.SplitFolder}: test classes differ from the training classes in {train.SplitFolder} ({string.Join("; ", parts)})");
    }
}
