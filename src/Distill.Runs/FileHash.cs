using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Distill.Runs;

/// <summary>
/// The one SHA-256 of a file in this code base: manifest output hashes, teacher weights, dataset fingerprints.
/// </summary>
public static class FileHash
{
    private static readonly ConcurrentDictionary<(string Path, long Size, DateTime Written), byte[]> Remembered = new();

    /// <summary>SHA-256 of the whole file, read now.</summary>
    public static byte[] Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return SHA256.HashData(stream);
    }

    /// <summary>SHA-256 of the whole file as lowercase hex, as manifests and sidecars record it.</summary>
    public static string Sha256Hex(string path) => Convert.ToHexStringLower(Sha256(path));

    /// <summary>
    /// SHA-256 of an input file that does not change while the process runs (dataset sources): remembered per
    /// (full path, size, last-write time), so every stage key naming the same dataset costs a stat, not a read.
    /// Not for outputs checked for tampering: a rewrite within the file system's timestamp granularity would go unseen.
    /// </summary>
    public static byte[] Sha256OfSource(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"cannot hash '{path}': no such file", path);
        return Remembered.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), key => Sha256(key.Path));
    }
}
