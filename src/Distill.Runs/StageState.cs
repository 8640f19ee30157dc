namespace Distill.Runs;

/// <summary>What to do with a stage, given what is on disk.</summary>
public enum StageAction
{
    /// <summary>Completed with the same key: reuse its outputs.</summary>
    Skip,

    /// <summary>Started with the same key and a checkpoint exists: continue from <see cref="StageDecision.Checkpoint"/>.</summary>
    Resume,

    /// <summary>Nothing usable on disk: start from scratch (the folder has been, or must be, wiped).</summary>
    Fresh,
}

/// <summary>A decision, why it was taken (one line for the log), and what it builds on.</summary>
public sealed record StageDecision(StageAction Action, string Reason, StageManifest? Previous, CheckpointEntry? Checkpoint);

/// <summary>
/// Decides skip / resume / fresh for a stage. <see cref="Decide"/> is the pure rule; <see cref="Prepare"/>
/// applies it to a stage folder and wipes the folder for a fresh start, so outputs of two keys never mix.
/// </summary>
public static class StageState
{
    /// <summary>
    /// The rule: completed with the same key -> Skip; running, cancelled or failed with the same key and a
    /// checkpoint -> Resume (a failure may be transient, e.g. the process was killed or ran out of memory;
    /// resuming repeats exactly what a fresh run would do, because randomness depends only on position);
    /// anything else (no manifest, other key, pending, no checkpoint) -> Fresh.
    /// <paramref name="pointer"/> is the key the pipeline's stage stood for before (null if never run) and
    /// <paramref name="change"/> what differs from it; they only shape the reason.
    /// </summary>
    public static StageDecision Decide(StageManifest? stored, string currentKey, CheckpointEntry? latestCheckpoint,
        string? pointer = null, string? change = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(currentKey);
        bool samePointer = pointer is not null && SameKey(pointer, currentKey);
        if (stored is null)
            return new(StageAction.Fresh, pointer is null ? "never run"
                : samePointer ? "its store entry is gone: starting over"
                : $"key changed from {StageKey.Short(pointer)} to {StageKey.Short(currentKey)}: {change ?? "definition, data or inputs differ"}", null, null);
        if (!SameKey(stored.Key, currentKey))
            return new(StageAction.Fresh, $"key changed from {StageKey.Short(stored.Key)} to {StageKey.Short(currentKey)}: definition, data or inputs differ", stored, null);

        return stored.Status switch
        {
            StageStatus.Completed when samePointer => new(StageAction.Skip, "completed with the same key", stored, null),
            StageStatus.Completed => new(StageAction.Skip,
                $"found in the store: computed by {stored.Origin}{(stored.FinishedAt is { } at ? $" on {at:yyyy-MM-dd HH:mm} UTC" : "")}", stored, null),
            StageStatus.Running or StageStatus.Cancelled or StageStatus.Failed when latestCheckpoint is not null =>
                new(StageAction.Resume, $"{Describe(stored.Status)} with the same key; resuming from epoch {latestCheckpoint.Epoch}, step {latestCheckpoint.Step}", stored, latestCheckpoint),
            StageStatus.Running or StageStatus.Cancelled or StageStatus.Failed =>
                new(StageAction.Fresh, $"{Describe(stored.Status)} with the same key but no checkpoint: starting over", stored, null),
            _ => new(StageAction.Fresh, "pending: not started", stored, null),
        };
    }

    /// <summary>
    /// Reads the stage's manifest and latest checkpoint and decides, changing nothing on disk. With
    /// <paramref name="verifyOutputs"/>, a completed stage whose outputs no longer match their recorded hashes is
    /// run afresh instead of skipped.
    /// </summary>
    public static StageDecision Inspect(StageDirectory stage, string currentKey, bool verifyOutputs = false, string? pointer = null, string? change = null)
    {
        ArgumentNullException.ThrowIfNull(stage);
        var stored = stage.ReadManifest();
        var decision = Decide(stored, currentKey, stage.Checkpoints.Latest(), pointer, change);
        if (decision.Action != StageAction.Skip || !verifyOutputs) return decision;
        var problems = stage.VerifyOutputs(decision.Previous!);
        return problems.Count == 0 ? decision
            : new(StageAction.Fresh, $"completed but outputs changed ({problems[0]}{(problems.Count > 1 ? $", and {problems.Count - 1} more" : "")}): starting over", stored, null);
    }

    /// <summary>
    /// <see cref="Inspect"/>, then for <see cref="StageAction.Fresh"/> wipes the stage folder (manifest, outputs,
    /// checkpoints, metrics) so outputs of two keys never mix.
    /// </summary>
    public static StageDecision Prepare(StageDirectory stage, string currentKey, bool verifyOutputs = false, string? pointer = null, string? change = null)
    {
        var decision = Inspect(stage, currentKey, verifyOutputs, pointer, change);
        if (decision.Action == StageAction.Fresh)
        {
            stage.Wipe();
        }
        else
        {
            stage.EnsureCreated();
            // A killed attempt may have left temporary files; they are never complete, so drop them.
            if (decision.Action == StageAction.Resume) stage.DeleteLeftoverTempFiles();
        }
        return decision;
    }

    private static bool SameKey(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Describe(StageStatus status) => status.ToString().ToLowerInvariant();
}
