namespace Distill.Learning.Data;

/// <summary>
/// Reads CIFAR binary batch files: fixed-size records of label byte(s) then 3072 pixel bytes, already
/// channel-major (R, G, B planes of 32x32), so each image is one block copy into a C x H x W buffer.
/// </summary>
internal static class CifarRecordReader
{
    private const int RecordsPerChunk = 1024;

    /// <summary>All records of the files, in order: pixels as N x 3072 bytes and one label each.</summary>
    public static (byte[] Pixels, long[] Labels) Read(IReadOnlyList<string> paths, CifarLayout layout)
    {
        var recordSize = layout.RecordSize;
        var counts = new long[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            if (!File.Exists(paths[i]))
                throw new DatasetException($"{layout.DisplayName} file {paths[i]} is missing.");
            var length = new FileInfo(paths[i]).Length;
            if (length == 0 || length % recordSize != 0)
                throw new DatasetException(
                    $"{paths[i]}: {length} bytes is not a whole number of {recordSize}-byte {layout.DisplayName} records " +
                    $"({layout.LabelBytes} label byte(s) + {CifarLayout.ImageBytes} pixel bytes); " +
                    "the file is truncated or not a CIFAR binary batch. Delete the folder to download it again.");
            counts[i] = length / recordSize;
        }

        var total = counts.Sum();
        if (total * CifarLayout.ImageBytes > Array.MaxLength)
            throw new DatasetException($"{layout.DisplayName}: {total} records are more than one buffer can hold.");
        var pixels = new byte[total * CifarLayout.ImageBytes];
        var labels = new long[total];
        var buffer = new byte[RecordsPerChunk * recordSize];
        var image = 0;
        for (var i = 0; i < paths.Count; i++)
        {
            using var stream = new FileStream(paths[i], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            for (long record = 0; record < counts[i];)
            {
                var chunk = (int)Math.Min(RecordsPerChunk, counts[i] - record);
                stream.ReadExactly(buffer, 0, chunk * recordSize);
                for (var r = 0; r < chunk; r++, record++, image++)
                {
                    var offset = r * recordSize;
                    var label = buffer[offset + layout.LabelOffset];
                    if (label >= layout.ClassCount)
                        throw new DatasetException(
                            $"{paths[i]}: record {record} has label {label}, but {layout.DisplayName} has {layout.ClassCount} classes " +
                            $"(0..{layout.ClassCount - 1}); the file is corrupt or belongs to another CIFAR variant.");
                    labels[image] = label;
                    Buffer.BlockCopy(buffer, offset + layout.LabelBytes, pixels, image * CifarLayout.ImageBytes, CifarLayout.ImageBytes);
                }
            }
        }
        return (pixels, labels);
    }

    /// <summary>Class names, one a line; blank lines (the official files end with some) are ignored.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path, CifarLayout layout)
    {
        if (!File.Exists(path))
            throw new DatasetException($"{layout.DisplayName} class-name file {path} is missing.");
        var names = File.ReadAllLines(path).Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
        if (names.Length != layout.ClassCount)
            throw new DatasetException(
                $"{path}: {names.Length} class names, but {layout.DisplayName} has {layout.ClassCount} classes.");
        return names;
    }
}
