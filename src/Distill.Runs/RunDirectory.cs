namespace Distill.Runs;

/// <summary>
/// One pipeline run on disk: <c>&lt;runs root&gt;/&lt;pipeline name&gt;/</c> holding the lock file and
/// <c>stages/&lt;stage id&gt;.json</c>, a pointer per stage to its result in the <see cref="StageStore"/> beside it
/// (<c>&lt;runs root&gt;/store/</c>). All paths of a run are derived here and nowhere else.
/// </summary>
public sealed class RunDirectory
{
    public const string StagesFolderName = "stages";
    public const string LockFileName = "run.lock";
    public const string PointerExtension = ".json";

    private RunDirectory(string rootPath, string pipelineName)
    {
        RootPath = rootPath;
        PipelineName = pipelineName;
        Store = StageStore.Under(Path.GetDirectoryName(rootPath)!);
    }

    /// <summary>Opens (creating the folders if needed) the run directory of <paramref name="pipelineName"/> under <paramref name="runsRoot"/>.</summary>
    public static RunDirectory Open(string runsRoot, string pipelineName)
    {
        var run = Locate(runsRoot, pipelineName);
        Directory.CreateDirectory(run.StagesPath);
        return run;
    }

    /// <summary>The run directory's place, creating nothing (for readers such as `distill plan`).</summary>
    public static RunDirectory Locate(string runsRoot, string pipelineName)
    {
        ArgumentException.ThrowIfNullOrEmpty(runsRoot);
        PathNames.ValidateSegment(pipelineName, "pipeline name");
        if (string.Equals(pipelineName, StageStore.FolderName, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Invalid pipeline name '{pipelineName}': '{StageStore.FolderName}' is the result store's folder under the runs root; choose another name.", "pipeline name");
        return new RunDirectory(Path.GetFullPath(Path.Combine(runsRoot, pipelineName)), pipelineName);
    }

    /// <summary>The run directory at <paramref name="runFolder"/> (its parent is the runs root).</summary>
    public static RunDirectory AtPath(string runFolder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runFolder));
        return Locate(Path.GetDirectoryName(full)!, Path.GetFileName(full));
    }

    /// <summary>Absolute path of <c>&lt;runs root&gt;/&lt;pipeline name&gt;</c>.</summary>
    public string RootPath { get; }

    public string PipelineName { get; }

    /// <summary>The result store shared by every run under the same runs root.</summary>
    public StageStore Store { get; }

    public string StagesPath => Path.Combine(RootPath, StagesFolderName);

    /// <summary>The lock file that says which process owns this run (see <see cref="RunLock"/>).</summary>
    public string LockPath => Path.Combine(RootPath, LockFileName);

    /// <summary>The pointer file of a stage id (which must be a single safe path segment).</summary>
    public string PointerPath(string stageId)
    {
        PathNames.ValidateSegment(stageId, "stage id");
        return PathNames.CombineInside(StagesPath, stageId + PointerExtension, "stage id");
    }

    public StagePointer? ReadPointer(string stageId) => StagePointer.Load(PointerPath(stageId));

    /// <summary>Points the stage at its entry; written when the stage is taken up, before it runs.</summary>
    public void WritePointer(string stageId, StagePointer pointer)
    {
        Directory.CreateDirectory(StagesPath);
        pointer.Save(PointerPath(stageId));
    }

    /// <summary>
    /// The result a stage id stands for: the store entry its pointer names, or a stage folder written by Distill
    /// before the store existed (until <see cref="AdoptLegacyStageFolders"/> moves it); null when the stage never ran.
    /// </summary>
    public StageDirectory? Stage(string stageId)
    {
        if (ReadPointer(stageId) is { } pointer) return Store.Entry(pointer.Key);
        var legacy = LegacyFolder(stageId);
        return File.Exists(Path.Combine(legacy, StageDirectory.ManifestFileName))
            ? new StageDirectory(StageManifest.Load(Path.Combine(legacy, StageDirectory.ManifestFileName))!.Key, legacy)
            : null;
    }

    /// <summary>Ids of the stages that have a pointer (or a legacy folder), sorted ordinally.</summary>
    public IReadOnlyList<string> ExistingStageIds()
    {
        if (!Directory.Exists(StagesPath)) return [];
        var pointers = Directory.EnumerateFiles(StagesPath, "*" + PointerExtension).Where(f => !AtomicFile.IsTempFile(f)).Select(Path.GetFileNameWithoutExtension);
        var folders = Directory.EnumerateDirectories(StagesPath).Select(Path.GetFileName);
        return pointers.Concat(folders).Select(n => n!).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Moves stage folders of runs made before the store (<c>stages/&lt;id&gt;/manifest.json</c>) into the store
    /// under their key and leaves a pointer, so their results are reused. A folder whose key the store already
    /// holds is deleted. Call it holding the run's lock. Returns how many were adopted.
    /// </summary>
    public int AdoptLegacyStageFolders(DateTimeOffset now)
    {
        if (!Directory.Exists(StagesPath)) return 0;
        int adopted = 0;
        foreach (var folder in Directory.EnumerateDirectories(StagesPath).ToList())
        {
            var manifest = StageManifest.Load(Path.Combine(folder, StageDirectory.ManifestFileName));
            if (manifest is null) { Directory.Delete(folder, recursive: true); continue; }
            var entry = Store.Entry(manifest.Key);
            if (Directory.Exists(entry.RootPath)) Directory.Delete(folder, recursive: true);
            else
            {
                Directory.CreateDirectory(Store.RootPath);
                Directory.Move(folder, entry.RootPath);
            }
            // The settings behind an old key are unknown; the next run writes the full pointer.
            WritePointer(Path.GetFileName(folder), StagePointer.Create(manifest.Key, manifest.Kind, "{}", "",
                manifest.Inputs.ToDictionary(i => i.StageId, i => i.Key), now));
            adopted++;
        }
        return adopted;
    }

    /// <summary>Takes the run's lock; see <see cref="RunLock.Acquire"/>.</summary>
    public RunLock AcquireLock(Action<string>? report = null) => RunLock.Acquire(LockPath, report);

    private string LegacyFolder(string stageId) => PathNames.CombineInside(StagesPath, stageId, "stage id");
}
