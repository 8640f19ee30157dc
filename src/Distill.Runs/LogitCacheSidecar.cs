using System.Text.Json.Serialization;

namespace Distill.Runs;

/// <summary>
/// Which dataset examples a logit cache covers, in row order: either the contiguous range
/// [<see cref="Start"/>, Start + <see cref="Count"/>) or an explicit list in <see cref="Indices"/> (then Start is null).
/// </summary>
public sealed record ExampleSelection(long? Start, long Count, IReadOnlyList<long>? Indices)
{
    public static ExampleSelection Range(long start, long count) => new(start, count, null);

    /// <summary>Same examples in the same order, whichever form either side uses.</summary>
    public bool SameAs(ExampleSelection other) =>
        Count == other.Count && Enumerate().SequenceEqual(other.Enumerate());

    public IEnumerable<long> Enumerate()
    {
        if (Indices is not null) return Indices;
        var start = Start ?? 0;
        return Enumerable.Range(0, checked((int)Count)).Select(i => start + i);
    }

    public override string ToString() => Indices is null
        ? $"{Count} examples from index {Start ?? 0}"
        : $"{Count} listed examples";
}

/// <summary>A .npy array beside a cache, by file name (in the same folder) and SHA-256.</summary>
public sealed record CacheArray(string File, string Sha256);

/// <summary>
/// The JSON next to a logit cache (<c>&lt;file&gt;.npy.json</c>): what produced the logits and what the array holds.
/// Rows are view-major: row <c>v * examples + i</c> holds view v (0 = unaugmented) of the i-th selected example.
/// <see cref="Labels"/> and <see cref="Indices"/> name int64 vectors of one entry per example: its label, and its
/// index in the published dataset split (the training split for both the train and validation splits), so that
/// numpy alone can score a cache or find its images. Absent in caches written before they existed.
/// <see cref="Embeddings"/> names the float32 array of the teacher's penultimate embedding, rows as the logits'
/// (views x examples by embedding width), when the cache stage was asked for it (`embeddings: true`).
/// </summary>
public sealed record LogitCacheSidecar(
    int FormatVersion,
    string TeacherStageKey,
    string TeacherWeightsSha256,
    string DatasetFingerprint,
    string Split,
    ExampleSelection Examples,
    int Views,
    string AugmentationViewSpec,
    string Dtype,
    IReadOnlyList<long> Shape,
    CacheArray? Labels = null,
    CacheArray? Indices = null,
    CacheArray? Embeddings = null)
{
    public const int CurrentFormatVersion = 1;
    public const string Float32Dtype = "float32";

    /// <summary>The sidecar path of an .npy file: the same name with ".json" appended.</summary>
    public static string PathFor(string npyPath) => npyPath + ".json";

    /// <summary>Rows the array must have: examples x views.</summary>
    [JsonIgnore]
    public long ExpectedRows => Examples.Count * Views;

    /// <summary>Reads a sidecar; null if missing, <see cref="RunFormatException"/> if malformed.</summary>
    public static LogitCacheSidecar? Load(string sidecarPath) => RunJson.ReadFile<LogitCacheSidecar>(sidecarPath);

    /// <summary>Writes the sidecar atomically; write it after the .npy file is committed.</summary>
    public void Save(string sidecarPath) => AtomicFile.WriteJson(sidecarPath, this);
}
