using Distill.Runs;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>What a finished run directory holds, reduced to what must not depend on interruptions.</summary>
public static class RunResults
{
    /// <summary>Per stage: status, every output file's SHA-256, and the deterministic metrics (timings left out).</summary>
    public static SortedDictionary<string, string> Fingerprint(string runDirectory)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var run = RunDirectory.AtPath(runDirectory);
        foreach (var id in run.ExistingStageIds())
        {
            var manifest = run.Stage(id)!.ReadManifest()!;
            var outputs = string.Join(",", manifest.Outputs.OrderBy(o => o.Path, StringComparer.Ordinal).Select(o => $"{o.Path}={o.Sha256}"));
            var metrics = string.Join(",", manifest.Metrics.Where(m => !m.Key.Contains("seconds")).OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => $"{m.Key}={m.Value:R}"));
            result[id] = $"{manifest.Status}|{outputs}|{metrics}";
        }
        return result;
    }

    public static StageManifest Manifest(string runDirectory, string stageId) =>
        Stage(runDirectory, stageId).ReadManifest() ?? throw new InvalidOperationException($"stage {stageId} has no manifest");

    /// <summary>The store entry a stage of the run points to.</summary>
    public static StageDirectory Stage(string runDirectory, string stageId) =>
        RunDirectory.AtPath(runDirectory).Stage(stageId) ?? throw new InvalidOperationException($"stage {stageId} has not run");

    /// <summary>A file under a stage's outputs/.</summary>
    public static string Output(string runDirectory, string stageId, string name) => Stage(runDirectory, stageId).OutputPath(name);

    /// <summary>Writes a hand-made manifest as a stage of <paramref name="run"/>: its store entry and the pointer to it.</summary>
    public static void WriteStage(RunDirectory run, StageManifest manifest)
    {
        run.WritePointer(manifest.StageId, StagePointer.Create(manifest.Key, manifest.Kind, "{}", "", new Dictionary<string, string>(), DateTimeOffset.UtcNow));
        run.Store.Entry(manifest.Key).WriteManifest(manifest);
    }
}
