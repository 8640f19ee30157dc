using System.Runtime.InteropServices;

namespace Distill.Runs;

/// <summary>
/// Streams rows of a float32 N x K array into a NumPy .npy file. The file appears at its path only on
/// <see cref="Commit"/>, after exactly N rows were appended (written atomically); disposing without committing
/// leaves nothing.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    private readonly AtomicFileWriter _file;

    private NpyWriter(string path, long rows, int columns)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NpyWriter writes '<f4' from memory and needs a little-endian machine.");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        Rows = rows;
        Columns = columns;
        _file = new AtomicFileWriter(path);
        _file.Stream.Write(NpyHeader.Build(rows, columns));
    }

    /// <summary>Starts a file of <paramref name="rows"/> x <paramref name="columns"/> float32 values.</summary>
    public static NpyWriter Create(string path, long rows, int columns) => new(path, rows, columns);

    /// <summary>Writes a whole array (row-major, rows * columns values) in one call, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, long rows, int columns)
    {
        using var writer = Create(path, rows, columns);
        writer.AppendRows(values);
        writer.Commit();
    }

    public string Path => _file.TargetPath;

    public long Rows { get; }

    public int Columns { get; }

    public long RowsWritten { get; private set; }

    /// <summary>Appends one or more whole rows (a multiple of <see cref="Columns"/> values, row-major).</summary>
    public void AppendRows(ReadOnlySpan<float> values)
    {
        if (values.Length % Columns != 0)
            throw new ArgumentException($"Got {values.Length} values, not a multiple of the row length {Columns}.", nameof(values));
        var rows = values.Length / Columns;
        if (RowsWritten + rows > Rows)
            throw new InvalidOperationException($"Appending {rows} rows would exceed the declared {Rows} rows of '{Path}' ({RowsWritten} written).");
        var bytes = MemoryMarshal.AsBytes(values);
        _file.Stream.Write(bytes);
        RowsWritten += rows;
    }

    /// <summary>Checks that all rows were written, flushes to disk and moves the file into place.</summary>
    public void Commit()
    {
        if (RowsWritten != Rows)
            throw new InvalidOperationException($"'{Path}' declares {Rows} rows but {RowsWritten} were appended; nothing was written.");
        _file.Commit();
    }

    public void Dispose() => _file.Dispose();
}
