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

    /// <summary>The result a stage id stands for: the store entry its pointer names; null when the stage never ran.</summary>
    public StageDirectory? Stage(string stageId) => ReadPointer(stageId) is { } pointer ? Store.Entry(pointer.Key) : null;

    /// <summary>Ids of the stages that have a pointer, sorted ordinally.</summary>
    public IReadOnlyList<string> ExistingStageIds() =>
        Directory.Exists(StagesPath)
            ? Directory.EnumerateFiles(StagesPath, "*" + PointerExtension).Where(f => !AtomicFile.IsTempFile(f))
                .Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Takes the run's lock; see <see cref="RunLock.Acquire"/>.</summary>
    public RunLock AcquireLock(Action<string>? report = null) => RunLock.Acquire(LockPath, report);
}
