namespace Distill.Runs;

/// <summary>A store entry as `distill gc` sees it.</summary>
public sealed record StoreEntryInfo(string Key, string Kind, string Origin, long Bytes, DateTimeOffset LastWritten, IReadOnlyList<string> UsedBy);

/// <summary>What gc removed (or, in a dry run, would remove) and what it kept.</summary>
/// <param name="TempFiles">Temporary files of interrupted writes found under the runs root (deleted unless a dry run).</param>
public sealed record CollectionResult(IReadOnlyList<StoreEntryInfo> Removed, IReadOnlyList<StoreEntryInfo> Kept, int TempFiles = 0)
{
    public long FreedBytes => Removed.Sum(e => e.Bytes);
    public long KeptBytes => Kept.Sum(e => e.Bytes);
}

/// <summary>
/// Removes store entries that no run under the same root points to: those older than a number of days, then, if
/// the store is still larger than a limit, the oldest of the rest. An entry a run points to is never removed.
/// Runs with exclusive use of the store, so no pipeline can point to an entry while it is being judged.
/// </summary>
public static class StoreCollector
{
    /// <exception cref="RunLockedException">A pipeline is running under this root.</exception>
    public static CollectionResult Collect(string runsRoot, TimeSpan? keepFor, long? maxBytes, bool dryRun, DateTimeOffset now)
    {
        if (keepFor is null && maxBytes is null) throw new ArgumentException("give an age (days) or a size limit, or both");
        var store = StageStore.Under(runsRoot);
        using var alone = store.TryUseExclusively()
            ?? throw new RunLockedException(store.UseLockPath, null, $"Pipelines are running under '{Path.GetFullPath(runsRoot)}'; run gc when they have finished.");

        var usedBy = PointedKeys(runsRoot);
        var entries = store.Keys().Select(k => Describe(store, k, usedBy.GetValueOrDefault(k) ?? [])).ToList();
        var removable = entries.Where(e => e.UsedBy.Count == 0).OrderBy(e => e.LastWritten).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var removed = new List<StoreEntryInfo>();
        if (keepFor is { } age) removed.AddRange(removable.Where(e => now - e.LastWritten > age));
        if (maxBytes is { } limit)
        {
            long size = entries.Sum(e => e.Bytes) - removed.Sum(e => e.Bytes);
            foreach (var entry in removable.Except(removed).ToList())
            {
                if (size <= limit) break;
                removed.Add(entry);
                size -= entry.Bytes;
            }
        }
        if (!dryRun) foreach (var entry in removed) Delete(store, entry.Key);
        return new CollectionResult(removed, entries.Except(removed).ToList(), SweepTempFiles(runsRoot, dryRun));
    }

    /// <summary>
    /// Temporary files left by writes that died (a killed process, a full disk before the cleanup fix): with the store
    /// used exclusively no writer is running, so every one under the root is stale.
    /// </summary>
    private static int SweepTempFiles(string runsRoot, bool dryRun)
    {
        if (!Directory.Exists(runsRoot)) return 0;
        var stale = Directory.EnumerateFiles(runsRoot, "*", SearchOption.AllDirectories).Where(AtomicFile.IsTempFile).ToList();
        if (!dryRun) foreach (var file in stale) File.Delete(file);
        return stale.Count;
    }

    /// <summary>Every key some run's pointer names, with the "run/stage" ids pointing to it.</summary>
    public static Dictionary<string, List<string>> PointedKeys(string runsRoot)
    {
        var used = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        if (!Directory.Exists(runsRoot)) return used;
        foreach (var folder in Directory.EnumerateDirectories(runsRoot).Where(d => Directory.Exists(Path.Combine(d, RunDirectory.StagesFolderName))))
        {
            var name = Path.GetFileName(folder)!;
            if (string.Equals(name, StageStore.FolderName, StringComparison.OrdinalIgnoreCase)) continue;
            var run = RunDirectory.Locate(runsRoot, name);
            // An unreadable pointer stops gc (RunFormatException) rather than let it delete what that pointer may name.
            foreach (var id in run.ExistingStageIds())
                if (run.ReadPointer(id) is { } pointer)
                {
                    if (!used.TryGetValue(pointer.Key, out var list)) used[pointer.Key] = list = [];
                    list.Add($"{name}/{id}");
                }
        }
        return used;
    }

    private static StoreEntryInfo Describe(StageStore store, string key, IReadOnlyList<string> usedBy)
    {
        var entry = store.Entry(key);
        StageManifest? manifest = null;
        try { manifest = entry.ReadManifest(); }
        catch (RunFormatException) { }
        var files = new DirectoryInfo(entry.RootPath).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
        var written = files.Count > 0 ? files.Max(f => f.LastWriteTimeUtc) : Directory.GetLastWriteTimeUtc(entry.RootPath);
        return new StoreEntryInfo(key, manifest?.Kind ?? "?", manifest?.Origin ?? "?", files.Sum(f => f.Length),
            new DateTimeOffset(written, TimeSpan.Zero), usedBy);
    }

    /// <summary>The manifest first, so an entry half deleted is never taken for a completed one; then the folder and its key lock.</summary>
    private static void Delete(StageStore store, string key)
    {
        var entry = store.Entry(key);
        if (File.Exists(entry.ManifestPath)) File.Delete(entry.ManifestPath);
        Directory.Delete(entry.RootPath, recursive: true);
        // No pipeline is running (gc holds the store alone), so no one has this lock file open.
        var lockPath = store.KeyLockPath(key);
        File.Delete(lockPath);
        File.Delete(lockPath + OwnerLock.OwnerSuffix);
    }
}
