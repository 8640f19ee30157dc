using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Distill.Learning.Data;

/// <summary>SHA-256 of source files, remembered per (path, size, mtime) within the process.</summary>
internal static class FileHashCache
{
    private static readonly ConcurrentDictionary<(string, long, DateTime), byte[]> Hashes = new();

    public static byte[] Sha256(string path)
    {
        var info = new FileInfo(path);
        return Hashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return SHA256.HashData(stream);
        });
    }
}
