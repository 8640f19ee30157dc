namespace Distill.Runs;

/// <summary>
/// One pipeline run on disk: <c>&lt;runs root&gt;/&lt;pipeline name&gt;/</c> holding the lock file, the payload
/// hash cache and <c>stages/&lt;stage id&gt;/</c>. All paths of a run are derived here and nowhere else.
/// </summary>
public sealed class RunDirectory
{
    public const string StagesFolderName = "stages";
    public const string LockFileName = "run.lock";

    private RunDirectory(string rootPath, string pipelineName)
    {
        RootPath = rootPath;
        PipelineName = pipelineName;
    }

    /// <summary>Opens (creating the folders if needed) the run directory of <paramref name="pipelineName"/> under <paramref name="runsRoot"/>.</summary>
    public static RunDirectory Open(string runsRoot, string pipelineName)
    {
        ArgumentException.ThrowIfNullOrEmpty(runsRoot);
        PathNames.ValidateSegment(pipelineName, "pipeline name");
        var root = Path.GetFullPath(Path.Combine(runsRoot, pipelineName));
        Directory.CreateDirectory(Path.Combine(root, StagesFolderName));
        return new RunDirectory(root, pipelineName);
    }

    /// <summary>The run directory's place, creating nothing (for readers such as `distill plan`).</summary>
    public static RunDirectory Locate(string runsRoot, string pipelineName)
    {
        ArgumentException.ThrowIfNullOrEmpty(runsRoot);
        PathNames.ValidateSegment(pipelineName, "pipeline name");
        return new RunDirectory(Path.GetFullPath(Path.Combine(runsRoot, pipelineName)), pipelineName);
    }

    /// <summary>Absolute path of <c>&lt;runs root&gt;/&lt;pipeline name&gt;</c>.</summary>
    public string RootPath { get; }

    public string PipelineName { get; }

    public string StagesPath => Path.Combine(RootPath, StagesFolderName);

    /// <summary>The lock file that says which process owns this run (see <see cref="RunLock"/>).</summary>
    public string LockPath => Path.Combine(RootPath, LockFileName);

    /// <summary>The folder of one stage; the id must be a single safe path segment.</summary>
    public StageDirectory Stage(string stageId)
    {
        PathNames.ValidateSegment(stageId, "stage id");
        return new StageDirectory(stageId, PathNames.CombineInside(StagesPath, stageId, "stage id"));
    }

    /// <summary>Ids of the stages that have a folder, sorted ordinally.</summary>
    public IReadOnlyList<string> ExistingStageIds() =>
        Directory.Exists(StagesPath)
            ? Directory.EnumerateDirectories(StagesPath).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Takes the run's lock; see <see cref="RunLock.Acquire"/>.</summary>
    public RunLock AcquireLock(Action<string>? report = null) => RunLock.Acquire(LockPath, report);
}
