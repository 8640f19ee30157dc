using System.IO.MemoryMappedFiles;

namespace Distill.Runs;

/// <summary>
/// A read-only, memory-mapped float32 N x K .npy file. The payload is never copied into managed memory as a
/// whole: rows are read straight from the mapping (the OS pages them in). Spans and pointers it hands out are
/// valid until <see cref="Dispose"/>. Safe for concurrent readers.
/// </summary>
public sealed unsafe class NpyFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly float* _data;
    private bool _disposed;

    private NpyFile(string path, NpyHeader.Parsed header, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Rows = header.Rows;
        Columns = checked((int)header.Columns);
        DataOffset = header.DataOffset;
        _map = map;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer;
        _data = (float*)(pointer + view.PointerOffset + header.DataOffset);
    }

    /// <summary>
    /// Opens and validates <paramref name="path"/>: magic, version, '&lt;f4' dtype, C order, 2-D shape, and a file
    /// length equal to header + N * K * 4 bytes. Any problem is a <see cref="RunFormatException"/> naming the file.
    /// </summary>
    public static NpyFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NpyFile reads '<f4' in place and needs a little-endian machine.");
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new RunFormatException(path, "file not found");

        var header = ReadAndCheckHeader(path, out var length);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new NpyFile(path, header, map, view);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Parses the header and checks the file length against the shape; returns the header and the file length.</summary>
    public static NpyHeader.Parsed ReadAndCheckHeader(string path, out long fileLength)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        var header = NpyHeader.Read(stream, path);
        fileLength = stream.Length;
        long expected;
        try { expected = checked(header.DataOffset + header.Rows * header.Columns * sizeof(float)); }
        catch (OverflowException) { throw new RunFormatException(path, $"shape ({header.Rows}, {header.Columns}) is too large"); }
        if (header.Columns > int.MaxValue) throw new RunFormatException(path, $"{header.Columns} columns is more than supported ({int.MaxValue})");
        if (fileLength != expected)
        {
            var what = fileLength < expected ? "truncated" : "longer than its header says";
            throw new RunFormatException(path, $"{what}: shape ({header.Rows}, {header.Columns}) float32 needs {expected} bytes, file has {fileLength} bytes");
        }
        return header;
    }

    public string Path { get; }

    /// <summary>N: number of rows.</summary>
    public long Rows { get; }

    /// <summary>K: values per row.</summary>
    public int Columns { get; }

    /// <summary>Byte offset of the first value in the file (a multiple of 64 for files NumPy or we wrote).</summary>
    public long DataOffset { get; }

    /// <summary>Rows [firstRow, firstRow + rowCount) as one contiguous row-major span (at most int.MaxValue values).</summary>
    public ReadOnlySpan<float> GetRows(long firstRow, int rowCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (firstRow < 0 || firstRow + rowCount > Rows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{firstRow + rowCount - 1} are outside 0..{Rows - 1} of '{Path}'.");
        var count = checked(rowCount * Columns);
        return new ReadOnlySpan<float>(_data + firstRow * Columns, count);
    }

    /// <summary>
    /// Copies the rows named by <paramref name="indices"/>, in that order, into <paramref name="destination"/>
    /// (indices.Length * K values, row-major). Used to assemble a batch of teacher logits.
    /// </summary>
    public void GatherRows(ReadOnlySpan<long> indices, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length != (long)indices.Length * Columns)
            throw new ArgumentException($"Destination holds {destination.Length} values; {indices.Length} rows of {Columns} need {(long)indices.Length * Columns}.", nameof(destination));
        for (var i = 0; i < indices.Length; i++)
        {
            var row = indices[i];
            if ((ulong)row >= (ulong)Rows)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Index {row} at position {i} is outside 0..{Rows - 1} of '{Path}'.");
            new ReadOnlySpan<float>(_data + row * Columns, Columns).CopyTo(destination.Slice(i * Columns, Columns));
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_base is not null) _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
