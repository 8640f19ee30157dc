using System.Text.RegularExpressions;

namespace Distill.Runs;

/// <summary>
/// The content-addressed store of stage results, <c>&lt;runs root&gt;/store/</c>, shared by every pipeline under
/// that root:
/// <code>
/// store/&lt;key&gt;/            one stage result per key (manifest.json, definition.json, outputs/, checkpoints/, metrics)
/// store/locks/&lt;key&gt;.lock  held by the one process computing that key; others wait for it
/// store/store.lock          held shared by every running pipeline, exclusively by `distill gc`
/// </code>
/// A key hashes everything that determines a result, so a key completed once, by any pipeline, is never
/// computed again while its entry exists.
/// </summary>
public sealed partial class StageStore
{
    public const string FolderName = "store";
    public const string LocksFolderName = "locks";
    public const string UseLockFileName = "store.lock";

    private StageStore(string rootPath) => RootPath = rootPath;

    /// <summary>The store under <paramref name="runsRoot"/> (created on first write, not here).</summary>
    public static StageStore Under(string runsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(runsRoot);
        return new StageStore(Path.GetFullPath(Path.Combine(runsRoot, FolderName)));
    }

    public string RootPath { get; }

    public string UseLockPath => Path.Combine(RootPath, UseLockFileName);

    /// <summary>The entry of <paramref name="key"/>, whether or not it exists yet.</summary>
    public StageDirectory Entry(string key) => new(key, PathNames.CombineInside(RootPath, CheckKey(key), "stage key"));

    public string KeyLockPath(string key) => PathNames.CombineInside(Path.Combine(RootPath, LocksFolderName), CheckKey(key) + ".lock", "stage key");

    /// <summary>The keys that have an entry folder, sorted.</summary>
    public IReadOnlyList<string> Keys() =>
        Directory.Exists(RootPath)
            ? Directory.EnumerateDirectories(RootPath).Select(d => Path.GetFileName(d)!).Where(n => KeyPattern().IsMatch(n)).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>
    /// Takes the lock of <paramref name="key"/>, waiting while another process holds it (that process is computing
    /// the same result; once it finishes, the caller finds it completed). <paramref name="waiting"/> is told once who
    /// holds it. Returns null if <paramref name="stop"/> fires first.
    /// </summary>
    public OwnerLock? LockKey(string key, Action<RunLockOwner?> waiting, CancellationToken stop, TimeSpan? poll = null)
    {
        var path = KeyLockPath(key);
        bool told = false;
        while (true)
        {
            var held = OwnerLock.TryAcquire(path, out var holder);
            if (held is not null) return held;
            if (!told) { waiting(holder); told = true; }
            if (stop.WaitHandle.WaitOne(poll ?? TimeSpan.FromMilliseconds(250))) return null;
        }
    }

    /// <summary>Whether another process is computing <paramref name="key"/> now, and who.</summary>
    public bool IsBeingComputed(string key, out RunLockOwner? holder)
    {
        var path = KeyLockPath(key);
        holder = null;
        if (!File.Exists(path) || !OwnerLock.IsHeld(path)) return false;
        holder = OwnerLock.ReadOwner(path);
        return true;
    }

    /// <summary>
    /// A running pipeline's claim on the store (a shared lock): `distill gc` cannot delete entries while any is held,
    /// because a running pipeline may be about to point at one. Throws <see cref="RunLockedException"/> while gc runs.
    /// </summary>
    public IDisposable Use() =>
        OwnerLock.TryLock(UseLockPath, shared: true)
        ?? throw new RunLockedException(UseLockPath, null, $"The result store '{RootPath}' is being garbage-collected (distill gc); run again when it finishes.");

    /// <summary>The store for `distill gc` alone: null while any pipeline is running under this root.</summary>
    public IDisposable? TryUseExclusively() => OwnerLock.TryLock(UseLockPath);

    /// <summary>Keys are lowercase hex in practice; any safe name is accepted so that nothing can point outside the store.</summary>
    private static string CheckKey(string key)
    {
        PathNames.ValidateSegment(key, "stage key");
        if (key == LocksFolderName) throw new ArgumentException($"Invalid stage key '{key}'.", nameof(key));
        return key;
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex KeyPattern();
}
