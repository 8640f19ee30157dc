namespace Distill.Runs;

/// <summary>
/// Checks that a logit cache on disk is the one a stage expects: the sidecar's provenance, the .npy header and
/// length. Returns human-readable differences; an empty list means "use it". Whether the bytes are the ones written
/// is the producing stage's manifest's business (<see cref="StageDirectory.VerifyOutputs"/>), not the sidecar's.
/// </summary>
public static class LogitCacheValidator
{
    /// <summary>Compares <paramref name="expected"/> (what the consumer would produce) with the sidecar and the file at <paramref name="npyPath"/>.</summary>
    public static IReadOnlyList<string> Check(LogitCacheSidecar expected, string npyPath)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var differences = new List<string>();
        var sidecarPath = LogitCacheSidecar.PathFor(npyPath);

        if (!File.Exists(npyPath)) differences.Add($"file: '{npyPath}' does not exist");

        LogitCacheSidecar? stored;
        try { stored = LogitCacheSidecar.Load(sidecarPath); }
        catch (RunFormatException e) { differences.Add($"sidecar: {e.Message}"); return differences; }
        if (stored is null) { differences.Add($"sidecar: '{sidecarPath}' does not exist"); return differences; }

        CompareProvenance(expected, stored, differences);

        if (!File.Exists(npyPath)) return differences;
        NpyHeader.Parsed header;
        try { header = NpyFile.ReadAndCheckHeader(npyPath, out _); }
        catch (RunFormatException e) { differences.Add($"file: {e.Problem}"); return differences; }

        var fileShape = $"{header.Rows}x{header.Columns}";
        var expectedShape = FormatShape(expected.Shape);
        if (expectedShape != fileShape) differences.Add($"shape: expected {expectedShape}, file has {fileShape}");
        if (FormatShape(stored.Shape) != fileShape) differences.Add($"shape: sidecar says {FormatShape(stored.Shape)}, file has {fileShape}");
        return differences;
    }

    private static void CompareProvenance(LogitCacheSidecar expected, LogitCacheSidecar stored, List<string> differences)
    {
        if (stored.FormatVersion != expected.FormatVersion)
            differences.Add($"format version: expected {expected.FormatVersion}, sidecar says {stored.FormatVersion}");
        if (!SameHash(expected.TeacherStageKey, stored.TeacherStageKey))
            differences.Add($"teacher: expected key {Short(expected.TeacherStageKey)}..., sidecar says {Short(stored.TeacherStageKey)}...");
        if (!SameHash(expected.TeacherWeightsSha256, stored.TeacherWeightsSha256))
            differences.Add($"teacher weights: expected SHA-256 {Short(expected.TeacherWeightsSha256)}..., sidecar says {Short(stored.TeacherWeightsSha256)}...");
        if (expected.DatasetFingerprint != stored.DatasetFingerprint)
            differences.Add($"dataset: expected fingerprint {expected.DatasetFingerprint}, sidecar says {stored.DatasetFingerprint}");
        if (expected.Split != stored.Split)
            differences.Add($"split: expected '{expected.Split}', sidecar says '{stored.Split}'");
        if (!expected.Examples.SameAs(stored.Examples))
            differences.Add($"examples: expected {expected.Examples}, sidecar says {stored.Examples}");
        if (expected.Views != stored.Views)
            differences.Add($"views: expected {expected.Views}, sidecar says {stored.Views}");
        if (expected.AugmentationViewSpec != stored.AugmentationViewSpec)
            differences.Add($"augmentation: expected '{expected.AugmentationViewSpec}', sidecar says '{stored.AugmentationViewSpec}'");
        if (expected.Dtype != stored.Dtype)
            differences.Add($"dtype: expected {expected.Dtype}, sidecar says {stored.Dtype}");
    }

    private static string FormatShape(IReadOnlyList<long> shape) => string.Join("x", shape);

    private static bool SameHash(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Short(string hash) => StageKey.Short(hash);
}
