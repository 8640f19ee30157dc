using Distill.Stages.Kinds;
using Distill.Cli.Queue;
using Distill.Learning.Platform;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Status;

/// <summary>One stage as `distill status RUN` shows it.</summary>
internal sealed record StageStatusRow(
    string StageId,
    string Kind,
    string State,
    StageProgress? Progress,
    int? Epochs,
    double? ValidationAccuracy,
    double? TestAccuracy,
    double? TestEce,
    TimeSpan? Duration,
    string? Reason,
    string? Worker = null);

/// <summary>One run as `distill status` lists it.</summary>
internal sealed record RunStatusRow(string Name, int Completed, int Total, string State, DateTimeOffset LastChange);

/// <summary>How many pipeline files are in each queue folder.</summary>
internal sealed record QueueCounts(int Pending, int Claimed, int Done, int Failed, int Cancelled);

/// <summary>
/// Reads run directories for `distill status` without changing anything: manifests only (never outputs or
/// checkpoints), stage order from the run's copy of its pipeline when that still loads, else alphabetical.
/// </summary>
internal static class RunStatusReader
{
    public static IReadOnlyList<RunStatusRow> ListRuns(string runsRoot)
    {
        if (!Directory.Exists(runsRoot)) return [];
        return Directory.EnumerateDirectories(runsRoot)
            .Where(d => Directory.Exists(Path.Combine(d, RunDirectory.StagesFolderName)))
            .Select(d => Path.GetFileName(d)!)
            .Order(StringComparer.Ordinal)
            .Select(name => Summarize(runsRoot, name))
            .ToList();
    }

    /// <summary>The stages of one run in pipeline order; null when there is no such run.</summary>
    public static IReadOnlyList<StageStatusRow>? ReadRun(string runsRoot, string runName, DateTimeOffset now)
    {
        PathNames.ValidateSegment(runName, "run name");
        if (!Directory.Exists(Path.Combine(runsRoot, runName, RunDirectory.StagesFolderName))) return null;
        var run = RunDirectory.Open(runsRoot, runName); // exists already: creates nothing
        var pipeline = PipelineLoader.Load(Path.Combine(run.RootPath, PipelineRunner.PipelineCopyName), StageKindRegistry.Catalogue).Pipeline;
        var existing = run.ExistingStageIds();
        var ids = pipeline is null
            ? existing
            : pipeline.Stages.Select(s => s.Id).Concat(existing.Where(id => pipeline.Stages.All(s => s.Id != id))).ToList();
        return ids.Select(id => Row(run, id, pipeline?.Stages.FirstOrDefault(s => s.Id == id), now)).ToList();
    }

    /// <summary>Counts of the queue folders under <paramref name="layout"/>; null when it has no queue.</summary>
    public static QueueCounts? ReadQueue(QueueLayout layout) =>
        Directory.Exists(layout.Queue)
            ? new QueueCounts(Count(layout.Queue), Count(layout.Claimed), Count(layout.Done), Count(layout.Failed), Count(layout.Cancelled))
            : null;

    private static int Count(string folder) => QueueLayout.PipelineFiles(folder).Count;

    private static RunStatusRow Summarize(string runsRoot, string name)
    {
        var rows = ReadRun(runsRoot, name, DateTimeOffset.UtcNow) ?? [];
        var run = RunDirectory.Open(runsRoot, name);
        var manifests = run.ExistingStageIds().Select(id => run.Stage(id)?.ManifestPath).OfType<string>().Where(File.Exists).ToList();
        var lastChange = manifests.Count > 0 ? manifests.Max(File.GetLastWriteTimeUtc) : Directory.GetLastWriteTimeUtc(run.RootPath);
        var completed = rows.Count(r => r.State == "completed");
        var state = File.Exists(run.LockPath) && OwnerLock.IsHeld(run.LockPath) ? "running"
            : rows.Count > 0 && completed == rows.Count ? "completed"
            : rows.Any(r => r.State is "failed" or "unreadable") ? "failed"
            : rows.Any(r => r.State == "running") ? "interrupted"
            : "incomplete";
        return new RunStatusRow(name, completed, rows.Count, state, new DateTimeOffset(lastChange, TimeSpan.Zero));
    }

    private static StageStatusRow Row(RunDirectory run, string id, StageDefinition? stage, DateTimeOffset now)
    {
        var epochs = stage?.Parameters.TryGetInt("epochs");
        StageManifest? manifest;
        try { manifest = run.Stage(id)?.ReadManifest(); }
        catch (Exception e) when (e is RunFormatException or IOException)
        {
            return new StageStatusRow(id, stage?.Kind ?? "?", "unreadable", null, epochs, null, null, null, null, e.Message);
        }
        if (manifest is null)
            return new StageStatusRow(id, stage?.Kind ?? "?", "not started", null, epochs, null, null, null, null, null);

        // Final metrics once completed; until then the latest epoch's, so a running stage shows where it is.
        var metrics = manifest.Metrics.Count > 0 ? manifest.Metrics
            : manifest.EpochMetrics.Count > 0 ? manifest.EpochMetrics[^1].Values
            : new Dictionary<string, double>();
        var duration = manifest.DurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds)
            : manifest.Status == StageStatus.Running && manifest.StartedAt is { } started ? now - started
            : (TimeSpan?)null;
        return new StageStatusRow(id, manifest.Kind, manifest.Status.ToString().ToLowerInvariant(), manifest.Progress, epochs,
            Metric(metrics, MetricNames.ValidationAccuracy), Metric(metrics, MetricNames.TestAccuracy), Metric(metrics, MetricNames.Ece),
            duration, Reason(manifest), manifest.Worker);
    }

    /// <summary>Why it failed or stopped, and whether it was computed on another kernel path than this machine's.</summary>
    private static string? Reason(StageManifest manifest)
    {
        var otherPath = manifest.KernelPathOtherThan(KernelPath.CurrentCpu) is { } path ? $"computed on {path}" : null;
        return manifest.FailureReason is { } failure && otherPath is not null ? $"{failure}; {otherPath}" : manifest.FailureReason ?? otherPath;
    }

    private static double? Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var value) ? value : null;
}
