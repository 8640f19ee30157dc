namespace Distill.Cli.Queue;

/// <summary>
/// The folders of a worker root. A pipeline file moves between them only by rename, so at any moment
/// it is in exactly one place and a crash never leaves two copies:
/// <code>
/// queue/            submitted, waiting (*.yaml)
/// queue/claimed/    taken by a worker
/// queue/locks/      &lt;file&gt;.lock: the claim lock its worker holds (and .owner naming that worker's process)
/// queue/done/       every stage completed
/// queue/failed/     invalid, or a stage failed (&lt;file&gt;.reason.txt says why)
/// queue/cancelled/  cancelled with `distill cancel`
/// cancel/&lt;run&gt;     a cancel request the worker polls
/// runs/&lt;run&gt;/      run directories, as `distill run` makes them
/// </code>
/// </summary>
internal sealed class QueueLayout
{
    public const string PipelineExtension = ".yaml";
    public const string ReasonSuffix = ".reason.txt";

    public QueueLayout(string root)
    {
        Root = Path.GetFullPath(root);
        Queue = Path.Combine(Root, "queue");
        Claimed = Path.Combine(Queue, "claimed");
        ClaimLocks = Path.Combine(Queue, "locks");
        Done = Path.Combine(Queue, "done");
        Failed = Path.Combine(Queue, "failed");
        Cancelled = Path.Combine(Queue, "cancelled");
        CancelRequests = Path.Combine(Root, "cancel");
        Runs = Path.Combine(Root, "runs");
    }

    public string Root { get; }
    public string Queue { get; }
    public string Claimed { get; }
    public string ClaimLocks { get; }
    public string Done { get; }
    public string Failed { get; }
    public string Cancelled { get; }
    public string CancelRequests { get; }
    public string Runs { get; }

    public void EnsureCreated()
    {
        foreach (var dir in new[] { Queue, Claimed, Done, Failed, Cancelled, CancelRequests, Runs })
            Directory.CreateDirectory(dir);
    }

    /// <summary>Pipeline files directly in <paramref name="folder"/>, first submitted first (by write time, then name);
    /// hidden temporary files of an unfinished submit are skipped.</summary>
    public static IReadOnlyList<string> PipelineFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + PipelineExtension)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .OrderBy(f => File.GetLastWriteTimeUtc(f)).ThenBy(f => f, StringComparer.Ordinal)
                .ToList()
            : [];
}
