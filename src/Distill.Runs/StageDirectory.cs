
namespace Distill.Runs;

/// <summary>
/// The folder of one stage result, <c>store/&lt;key&gt;/</c>: <c>manifest.json</c>, <c>definition.json</c>, <c>outputs/</c>,
/// <c>checkpoints/</c>, plus the trainer's <c>metrics.csv</c> / <c>metrics.json</c>. Reached through
/// <see cref="StageStore.Entry"/> (by key) or <see cref="RunDirectory.Stage"/> (by a pipeline's stage id).
/// </summary>
public sealed class StageDirectory
{
    public const string ManifestFileName = "manifest.json";
    public const string OutputsFolderName = "outputs";
    public const string CheckpointsFolderName = "checkpoints";
    public const string MetricsCsvFileName = "metrics.csv";
    public const string MetricsJsonFileName = "metrics.json";
    public const string TensorBoardFolderName = "tensorboard";
    public const string DefinitionFileName = "definition.json";

    internal StageDirectory(string key, string rootPath)
    {
        Key = key;
        RootPath = rootPath;
        Checkpoints = new CheckpointStore(CheckpointsPath);
    }

    /// <summary>The key whose result this folder holds.</summary>
    public string Key { get; }

    public string RootPath { get; }

    public string ManifestPath => Path.Combine(RootPath, ManifestFileName);

    public string OutputsPath => Path.Combine(RootPath, OutputsFolderName);

    public string CheckpointsPath => Path.Combine(RootPath, CheckpointsFolderName);

    public string MetricsCsvPath => Path.Combine(RootPath, MetricsCsvFileName);

    public string MetricsJsonPath => Path.Combine(RootPath, MetricsJsonFileName);

    /// <summary>The canonical definition the key was computed from (for `distill plan`'s estimates and for people reading the store).</summary>
    public string DefinitionPath => Path.Combine(RootPath, DefinitionFileName);

    /// <summary>TensorBoard event files (wall-clock stamped, so kept out of the hashed outputs).</summary>
    public string TensorBoardPath => Path.Combine(RootPath, TensorBoardFolderName);

    public CheckpointStore Checkpoints { get; }

    /// <summary>Creates the stage folder with empty outputs/ and checkpoints/ if missing.</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(OutputsPath);
        Directory.CreateDirectory(CheckpointsPath);
    }

    /// <summary>Absolute path of an output; <paramref name="relativeName"/> may contain '/' but must stay inside outputs/.</summary>
    public string OutputPath(string relativeName) => PathNames.CombineInside(OutputsPath, relativeName, "output name");

    /// <summary>The stored manifest, or null if the stage never wrote one.</summary>
    public StageManifest? ReadManifest() => StageManifest.Load(ManifestPath);

    /// <summary>Writes the manifest atomically; call it after the files it describes are in place.</summary>
    public void WriteManifest(StageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!string.Equals(manifest.Key, Key, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The manifest of key {StageKey.Short(manifest.Key)} cannot be written into the entry of key {StageKey.Short(Key)}.", nameof(manifest));
        Directory.CreateDirectory(RootPath);
        manifest.Save(ManifestPath);
    }

    /// <summary>Writes the canonical definition beside the manifest (atomically).</summary>
    public void WriteDefinition(string canonicalJson)
    {
        Directory.CreateDirectory(RootPath);
        AtomicFile.WriteAllText(DefinitionPath, canonicalJson);
    }

    /// <summary>The canonical definition, or null if none was written.</summary>
    public string? ReadDefinition() => File.Exists(DefinitionPath) ? File.ReadAllText(DefinitionPath) : null;

    /// <summary>
    /// Deletes the manifest, then outputs/, checkpoints/, tensorboard/ and the metrics files, and recreates the empty folders.
    /// The manifest goes first: if we are interrupted half-way, no manifest is left describing files that are gone.
    /// </summary>
    public void Wipe()
    {
        if (File.Exists(ManifestPath)) File.Delete(ManifestPath);
        if (Directory.Exists(OutputsPath)) Directory.Delete(OutputsPath, recursive: true);
        if (Directory.Exists(CheckpointsPath)) Directory.Delete(CheckpointsPath, recursive: true);
        if (Directory.Exists(TensorBoardPath)) Directory.Delete(TensorBoardPath, recursive: true);
        if (File.Exists(MetricsCsvPath)) File.Delete(MetricsCsvPath);
        if (File.Exists(MetricsJsonPath)) File.Delete(MetricsJsonPath);
        AtomicFile.DeleteLeftoverTempFiles(RootPath);
        EnsureCreated();
    }

    /// <summary>Deletes temporary files of interrupted atomic writes in the stage folder, outputs/ (recursively) and checkpoints/.</summary>
    public int DeleteLeftoverTempFiles()
    {
        var deleted = AtomicFile.DeleteLeftoverTempFiles(RootPath) + AtomicFile.DeleteLeftoverTempFiles(CheckpointsPath);
        if (Directory.Exists(OutputsPath))
        {
            deleted += AtomicFile.DeleteLeftoverTempFiles(OutputsPath);
            foreach (var dir in Directory.EnumerateDirectories(OutputsPath, "*", SearchOption.AllDirectories))
                deleted += AtomicFile.DeleteLeftoverTempFiles(dir);
        }
        return deleted;
    }

    /// <summary>Every file under outputs/ (temporary leftovers excluded) with its size and SHA-256, sorted by path.</summary>
    public IReadOnlyList<OutputFile> RecordOutputs()
    {
        if (!Directory.Exists(OutputsPath)) return [];
        return Directory.EnumerateFiles(OutputsPath, "*", SearchOption.AllDirectories)
            .Where(f => !AtomicFile.IsTempFile(f))
            .Select(f => new OutputFile(
                Path.GetRelativePath(OutputsPath, f).Replace(Path.DirectorySeparatorChar, '/'),
                new FileInfo(f).Length,
                FileHash.Sha256Hex(f)))
            .OrderBy(o => o.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Re-hashes the outputs the manifest lists and returns one line per difference (missing file, size or
    /// hash changed); an empty list means the outputs are exactly what was recorded. Extra files are ignored.
    /// </summary>
    public IReadOnlyList<string> VerifyOutputs(StageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var problems = new List<string>();
        foreach (var output in manifest.Outputs)
        {
            string path;
            try { path = OutputPath(output.Path); }
            catch (ArgumentException e) { problems.Add($"output '{output.Path}': {e.Message}"); continue; }

            if (!File.Exists(path)) { problems.Add($"output '{output.Path}': missing"); continue; }
            var size = new FileInfo(path).Length;
            if (size != output.SizeBytes)
            {
                problems.Add($"output '{output.Path}': size {size} bytes, manifest says {output.SizeBytes}");
                continue;
            }
            var hash = FileHash.Sha256Hex(path);
            if (!string.Equals(hash, output.Sha256, StringComparison.OrdinalIgnoreCase))
                problems.Add($"output '{output.Path}': SHA-256 {StageKey.Short(hash)}..., manifest says {StageKey.Short(output.Sha256)}... (file changed after it was written)");
        }
        return problems;
    }
}
