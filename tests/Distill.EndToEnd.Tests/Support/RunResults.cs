using Distill.Runs;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>What a finished run directory holds, reduced to what must not depend on interruptions.</summary>
public static class RunResults
{
    /// <summary>Per stage: status, every output file's SHA-256, and the deterministic metrics (timings left out).</summary>
    public static SortedDictionary<string, string> Fingerprint(string runDirectory)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var stageDir in Directory.GetDirectories(Path.Combine(runDirectory, RunDirectory.StagesFolderName)))
        {
            var id = Path.GetFileName(stageDir);
            var manifest = StageManifest.Load(Path.Combine(stageDir, StageDirectory.ManifestFileName))!;
            var outputs = string.Join(",", manifest.Outputs.OrderBy(o => o.Path, StringComparer.Ordinal).Select(o => $"{o.Path}={o.Sha256}"));
            var metrics = string.Join(",", manifest.Metrics.Where(m => !m.Key.Contains("seconds")).OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => $"{m.Key}={m.Value:R}"));
            result[id] = $"{manifest.Status}|{outputs}|{metrics}";
        }
        return result;
    }

    public static StageManifest Manifest(string runDirectory, string stageId) =>
        StageManifest.Load(Path.Combine(runDirectory, RunDirectory.StagesFolderName, stageId, StageDirectory.ManifestFileName))
        ?? throw new InvalidOperationException($"stage {stageId} has no manifest");
}
