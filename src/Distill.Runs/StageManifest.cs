namespace Distill.Runs;

/// <summary>Where a stage stands. Serialized as the lowercase word.</summary>
public enum StageStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>The trainer's position: epoch and global optimizer step, as the trainer counts them.</summary>
public sealed record StageProgress(int Epoch, long Step);

/// <summary>The metrics of one epoch (name -> value).</summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Values);

/// <summary>One file under the stage's outputs/ folder: '/'-separated path relative to outputs/, size, lowercase hex SHA-256.</summary>
public sealed record OutputFile(string Path, long SizeBytes, string Sha256);

/// <summary>A stage this stage reads from, and the key that stage had when it was read.</summary>
public sealed record StageInput(string StageId, string Key);

/// <summary>
/// The record of one stage, stored as <c>store/&lt;key&gt;/manifest.json</c> (fields documented in docs/formats.md).
/// Immutable: the helpers return updated copies. Written last and atomically, so a "completed" manifest
/// always describes complete outputs.
/// </summary>
public sealed record StageManifest(
    int FormatVersion,
    string StageId,
    string Kind,
    string Key,
    StageStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    int Attempts,
    StageProgress? Progress,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<EpochMetrics> EpochMetrics,
    string? FailureReason,
    IReadOnlyList<OutputFile> Outputs,
    IReadOnlyList<StageInput> Inputs,
    string? Pipeline = null,
    string? Worker = null,
    string? SeedKey = null,
    string? KernelPath = null)
{
    /// <summary>The variable a postgres-engine worker sets for its stage processes, naming itself (host:pid).</summary>
    public const string WorkerVariable = "DISTILL_WORKER";

    /// <summary>Who runs stages in this process: <see cref="WorkerVariable"/> when a worker started it, else host:pid.</summary>
    public static string CurrentWorker => Environment.GetEnvironmentVariable(WorkerVariable) is { Length: > 0 } name
        ? name : $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Version of this manifest layout; readers refuse newer versions.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>A manifest for a stage that has not started.</summary>
    public static StageManifest Pending(string stageId, string kind, string key, IEnumerable<StageInput> inputs, string? pipeline = null,
        string? seedKey = null) =>
        new(CurrentFormatVersion, stageId, kind, key, StageStatus.Pending, null, null, null, 0, null,
            new Dictionary<string, double>(), [], null, [],
            inputs.OrderBy(i => i.StageId, StringComparer.Ordinal).ToList(), pipeline, SeedKey: seedKey);

    /// <summary>
    /// What random streams that several stages share are seeded from (a cache's augmented views, which the students
    /// distilled live from the same teacher draw too): <see cref="SeedKey"/>, the key as the format before code
    /// revisions computed it, so that naming the code in keys moved no stage's random numbers. Manifests written
    /// before have no seed key: their key is that key.
    /// </summary>
    public string StreamKey => SeedKey ?? Key;

    /// <summary>"pipeline/stage" that computed this result (the stage id alone for results made before the store).</summary>
    public string Origin => Pipeline is null ? StageId : $"{Pipeline}/{StageId}";

    /// <summary>
    /// The manifest for a new attempt: running, attempts + 1, started now, by this process's worker. Progress and metrics are kept
    /// (a resumed attempt continues them); the caller resets them for a fresh start by starting from <see cref="Pending"/>.
    /// </summary>
    /// <param name="kernelPath">The CPU kernel path this attempt computes on (instruction set and vendor); an attempt that
    /// resumes one made on another path records both, in order, since the result then mixes their bits.</param>
    public StageManifest StartAttempt(DateTimeOffset now, string? kernelPath = null) =>
        this with
        {
            Worker = CurrentWorker,
            KernelPath = WithKernelPath(kernelPath),
            Status = StageStatus.Running,
            StartedAt = now,
            FinishedAt = null,
            DurationSeconds = null,
            Attempts = Attempts + 1,
            FailureReason = null,
        };

    private string? WithKernelPath(string? next)
    {
        if (next is null || KernelPath is null) return next ?? KernelPath;
        return KernelPath.Split(KernelPathSeparator).Last() == next ? KernelPath : KernelPath + KernelPathSeparator + next;
    }

    /// <summary>
    /// The kernel path(s) this result was computed on when any differs from <paramref name="here"/>, else null: a
    /// result from another path is reused as it is (its key is the same), but its bits are not the ones this machine
    /// would compute, which `plan` and `status` say.
    /// </summary>
    public string? KernelPathOtherThan(string here) =>
        KernelPath is { } recorded && recorded.Split(KernelPathSeparator).Any(p => p != here) ? recorded : null;

    /// <summary>Between the kernel paths of the attempts of a result computed on several.</summary>
    public const string KernelPathSeparator = " then ";

    /// <summary>Records the trainer's position and the metrics of a finished epoch (replacing an earlier entry for that epoch).</summary>
    public StageManifest WithEpoch(StageProgress progress, EpochMetrics? epochMetrics = null)
    {
        if (epochMetrics is null) return this with { Progress = progress };
        var epochs = EpochMetrics.Where(e => e.Epoch != epochMetrics.Epoch).Append(epochMetrics).OrderBy(e => e.Epoch).ToList();
        return this with { Progress = progress, EpochMetrics = epochs };
    }

    /// <summary>Completed with these final metrics and outputs (from <see cref="StageDirectory.RecordOutputs"/>).</summary>
    public StageManifest Complete(DateTimeOffset now, IReadOnlyDictionary<string, double> metrics, IReadOnlyList<OutputFile> outputs) =>
        Finish(StageStatus.Completed, now, null) with { Metrics = metrics, Outputs = outputs };

    /// <summary>Failed, with a one-line reason a user can act on.</summary>
    public StageManifest Fail(DateTimeOffset now, string reason) => Finish(StageStatus.Failed, now, reason);

    /// <summary>Stopped on request (graceful shutdown); resumable from its last checkpoint.</summary>
    public StageManifest Cancel(DateTimeOffset now, string? reason = null) => Finish(StageStatus.Cancelled, now, reason);

    private StageManifest Finish(StageStatus status, DateTimeOffset now, string? reason) =>
        this with
        {
            Status = status,
            FinishedAt = now,
            DurationSeconds = StartedAt is { } started ? Math.Max(0, (now - started).TotalSeconds) : null,
            FailureReason = reason,
        };

    /// <summary>Reads a manifest; null if the file does not exist; <see cref="RunFormatException"/> if it is malformed or newer than this program.</summary>
    public static StageManifest? Load(string path)
    {
        var manifest = RunJson.ReadFile<StageManifest>(path);
        if (manifest is null) return null;
        if (manifest.FormatVersion > CurrentFormatVersion || manifest.FormatVersion < 1)
            throw new RunFormatException(path, $"manifest format version {manifest.FormatVersion} is not supported (this program reads up to {CurrentFormatVersion}); use a newer Distill or delete the stage folder");
        return manifest;
    }

    /// <summary>Writes the manifest atomically to <paramref name="path"/>.</summary>
    public void Save(string path) => AtomicFile.WriteJson(path, this);
}
