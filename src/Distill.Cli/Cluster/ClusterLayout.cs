namespace Distill.Cli.Cluster;

/// <summary>
/// The shared root of `--engine postgres`: <c>pipelines/&lt;submission&gt;.yaml</c>, the pipeline as submitted (every
/// worker reads it there), and <c>runs/</c>, the run directories and result store as `distill run` makes them.
/// Each worker names the root as it is mounted on its machine; jobs carry only submission and stage names.
/// </summary>
public sealed class ClusterLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Pipelines => Path.Combine(Root, "pipelines");

    public string Runs => Path.Combine(Root, "runs");

    /// <summary>A new submission of pipeline <paramref name="run"/>: "&lt;run&gt;-&lt;UTC time to the millisecond&gt;Z".</summary>
    public static string NewSubmission(string run, DateTime utcNow) => $"{run}-{utcNow:yyyyMMdd'T'HHmmssfff}Z";

    /// <summary>The submissions of pipeline <paramref name="run"/> that have a pipeline file here, oldest first.</summary>
    public IReadOnlyList<string> SubmissionsOf(string run)
    {
        Distill.Runs.PathNames.ValidateSegment(run, "run name");
        int length = NewSubmission(run, DateTime.UnixEpoch).Length; // another run's name may extend this one's
        return Directory.Exists(Pipelines)
            ? Directory.EnumerateFiles(Pipelines, run + "-*.yaml").Select(Path.GetFileNameWithoutExtension).OfType<string>()
                .Where(s => s.Length == length).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    public string PipelineFile(string submission)
    {
        Distill.Runs.PathNames.ValidateSegment(submission, "submission");
        return Path.Combine(Pipelines, submission + ".yaml");
    }
}
