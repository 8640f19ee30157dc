using System.Buffers.Binary;
using System.IO.Compression;

namespace Distill.Learning.Data;

/// <summary>
/// Reads the idx format of (Fashion-)MNIST, gzip-compressed or plain: a 4-byte magic
/// (0, 0, type 0x08 = unsigned byte, number of dimensions), big-endian dimension sizes, then data.
/// </summary>
public static class IdxFile
{
    public sealed record Content(int[] Dimensions, byte[] Data);

    public static Content Read(string path, int expectedDimensions)
    {
        if (!File.Exists(path))
            throw new DatasetException($"{path}: file not found");
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionMode.Decompress)
                : file;
            var header = new byte[4];
            ReadExactly(stream, header, path, "header");
            if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != expectedDimensions)
                throw new DatasetException(
                    $"{path}: wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8} " +
                    $"(expected 0x{0x0800 + expectedDimensions:X8}: unsigned bytes in {expectedDimensions} dimension(s))");

            var dims = new int[expectedDimensions];
            var dimBytes = new byte[4 * expectedDimensions];
            ReadExactly(stream, dimBytes, path, "dimension sizes");
            long total = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
                if (dims[i] <= 0)
                    throw new DatasetException($"{path}: dimension {i} has invalid size {dims[i]}");
                total *= dims[i];
            }
            if (total > int.MaxValue)
                throw new DatasetException($"{path}: {total} values is more than this reader supports");

            var data = new byte[total];
            int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (read < data.Length)
                throw new DatasetException(
                    $"{path}: truncated: header announces {total} bytes of data ({string.Join(" x ", dims)}) but only {read} are present");
            return new Content(dims, data);
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: not a valid gzip file ({e.Message})", e);
        }
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string path, string what)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new DatasetException($"{path}: truncated: file ends inside the {what}");
    }
}
