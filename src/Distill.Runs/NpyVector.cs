using System.Buffers.Binary;

namespace Distill.Runs;

/// <summary>
/// One-dimensional integer .npy arrays: the labels and dataset indices beside a logit cache. Written as
/// little-endian int64 ('&lt;i8', numpy's default integer on Linux); read from any little-endian signed or unsigned
/// integer dtype of up to 8 bytes, so arrays written by other programs load too.
/// </summary>
public static class NpyVector
{
    public const string Int64Descr = "<i8";

    /// <summary>Writes <paramref name="values"/> atomically as an int64 .npy vector.</summary>
    public static void WriteInt64(string path, IReadOnlyList<long> values)
    {
        var header = NpyHeader.Build(Int64Descr, [values.Count]);
        var bytes = new byte[header.Length + 8L * values.Count];
        header.CopyTo(bytes, 0);
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(header.Length + 8 * i), values[i]);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads an integer .npy vector; <see cref="RunFormatException"/> naming the file if it is not one.</summary>
    public static long[] ReadInt64(string path)
    {
        using var stream = File.OpenRead(path);
        var header = NpyHeader.ReadAny(stream, path);
        if (header.Shape.Count != 1)
            throw new RunFormatException(path, $"shape is ({string.Join(", ", header.Shape)}), expected one dimension");
        var (signed, size) = header.Descr switch
        {
            "<i8" => (true, 8), "<i4" => (true, 4), "<i2" => (true, 2), "|i1" or "<i1" => (true, 1),
            "<u8" => (false, 8), "<u4" => (false, 4), "<u2" => (false, 2), "|u1" or "<u1" => (false, 1),
            _ => throw new RunFormatException(path, $"dtype is '{header.Descr}', expected a little-endian integer type such as '{Int64Descr}'"),
        };
        long count = header.Shape[0];
        var data = new byte[checked(count * size)];
        stream.Position = header.DataOffset;
        if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) != data.Length)
            throw new RunFormatException(path, $"truncated: {count} values of {size} bytes expected after the header, file has {stream.Length - header.DataOffset} bytes");
        var values = new long[count];
        for (long i = 0; i < count; i++)
        {
            var span = data.AsSpan((int)(i * size), size);
            values[i] = (signed, size) switch
            {
                (true, 8) => BinaryPrimitives.ReadInt64LittleEndian(span),
                (true, 4) => BinaryPrimitives.ReadInt32LittleEndian(span),
                (true, 2) => BinaryPrimitives.ReadInt16LittleEndian(span),
                (true, _) => (sbyte)span[0],
                (false, 8) => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(span)),
                (false, 4) => BinaryPrimitives.ReadUInt32LittleEndian(span),
                (false, 2) => BinaryPrimitives.ReadUInt16LittleEndian(span),
                _ => span[0],
            };
        }
        return values;
    }
}
