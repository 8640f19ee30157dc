namespace Distill.Runs;

/// <summary>
/// Remembers payload SHA-256s of .npy files already verified, keyed by full path, size and last-write time,
/// so a warm run does not re-read gigabytes of logits. Stored as a small JSON file written atomically; a
/// damaged cache file is ignored (it is only a cache). Not shared between concurrent processes: one process
/// owns a run directory (see <see cref="RunLock"/>).
/// </summary>
public sealed class PayloadHashCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries;

    public PayloadHashCache(string cacheFilePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheFilePath);
        CacheFilePath = Path.GetFullPath(cacheFilePath);
        Dictionary<string, Entry>? loaded = null;
        try { loaded = RunJson.ReadFile<Document>(CacheFilePath)?.Entries.ToDictionary(StringComparer.Ordinal); }
        catch (RunFormatException) { /* a damaged cache only costs a re-hash */ }
        _entries = loaded ?? new Dictionary<string, Entry>(StringComparer.Ordinal);
    }

    public string CacheFilePath { get; }

    /// <summary>How many payloads this instance actually hashed (cache misses); shown in logs, checked by tests.</summary>
    public int HashesComputed { get; private set; }

    /// <summary>The payload SHA-256 of <paramref name="npyPath"/>, from the cache if size and write time are unchanged.</summary>
    public string GetPayloadSha256(string npyPath)
    {
        var full = Path.GetFullPath(npyPath);
        var info = new FileInfo(full);
        if (!info.Exists) throw new RunFormatException(full, "file not found");
        var size = info.Length;
        var ticks = info.LastWriteTimeUtc.Ticks;

        lock (_gate)
        {
            if (_entries.TryGetValue(full, out var hit) && hit.SizeBytes == size && hit.LastWriteUtcTicks == ticks)
                return hit.Sha256;
        }

        var hash = NpyFile.ComputePayloadSha256(full);
        lock (_gate)
        {
            HashesComputed++;
            _entries[full] = new Entry(size, ticks, hash);
            AtomicFile.WriteJson(CacheFilePath, new Document(_entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal)));
        }
        return hash;
    }

    private sealed record Entry(long SizeBytes, long LastWriteUtcTicks, string Sha256);

    private sealed record Document(IReadOnlyDictionary<string, Entry> Entries);
}
