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

    public string PipelineFile(string submission)
    {
        Distill.Runs.PathNames.ValidateSegment(submission, "submission");
        return Path.Combine(Pipelines, submission + ".yaml");
    }
}
