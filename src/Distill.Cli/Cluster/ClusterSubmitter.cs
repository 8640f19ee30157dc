using Hangfire;

namespace Distill.Cli.Cluster;

/// <summary>
/// `distill submit FILE --engine postgres`: validates the pipeline, copies it to the shared root as a submission
/// (<c>pipelines/&lt;name&gt;-&lt;UTC time&gt;.yaml</c>) and enqueues its stages that read no other stage; the rest follow
/// as their inputs complete (<see cref="ReadyStages"/>).
/// </summary>
internal static class ClusterSubmitter
{
    /// <param name="connection">A reachable server's connection string (the engine checked it).</param>
    public static int Submit(string file, string root, string connection, TextWriter output)
    {
        if (SubmittedPipeline.Validate(file) is not { } pipeline) return 1;
        var layout = new ClusterLayout(root);
        var submission = ClusterLayout.NewSubmission(pipeline.Name, DateTime.UtcNow);
        SubmittedPipeline.Save(layout, submission, file, pipeline.Name);

        var storage = ClusterStorage.Create(connection);
        var started = ReadyStages.Start(storage, ReadyStages.StageJob(new BackgroundJobClient(storage), submission), submission, pipeline);
        output.WriteLine($"Submitted {submission}: {pipeline.Stages.Count} stages, {started.Count} enqueued now ({string.Join(", ", started)}), the rest as their inputs complete");
        return 0;
    }
}
