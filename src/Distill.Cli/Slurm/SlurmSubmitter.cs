using Distill.Cli.Cluster;
using Distill.Cli.Commands;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Cli.Slurm;

/// <summary>
/// `distill submit FILE --engine slurm`: validates the pipeline, copies it to the shared root, resolves every stage
/// (its key under its job's compute: <see cref="StageCompute"/>) and submits one sbatch job per stage the store does
/// not hold completed, each after the jobs of its inputs (afterok), then returns. No process of ours stays behind:
/// Slurm runs the jobs, each a `distill run-stage` that resumes from a checkpoint when the stage has one.
/// </summary>
internal static class SlurmSubmitter
{
    /// <summary>Submits; Slurm's commands are known to be present (the engine checked them).</summary>
    public static int Submit(string file, string root, TextWriter output)
    {
        if (SubmittedPipeline.Validate(file) is not { } original) return 1;
        var layout = new SlurmLayout(root);
        var submission = ClusterLayout.NewSubmission(original.Name, DateTime.UtcNow);
        Directory.CreateDirectory(layout.SubmissionFolder(submission));
        // The jobs read the copy: what was submitted runs, however the original is edited afterwards.
        var copy = SubmittedPipeline.Save(layout.Cluster, submission, file, original.Name);
        var pipeline = PipelineRunner.Load(copy);
        AtomicFile.WriteAllText(layout.ResolvedPipeline(submission), ResolvedPipelineJson.Write(pipeline));

        IReadOnlyList<ResolvedStage> stages;
        try { stages = StageRegistry.CreateRunner().ResolveForJobs(pipeline, layout.Cluster.Runs, s => StageCompute.PipelineOf(pipeline, s)); }
        catch (Exception e) when (StageFailure.IsStageFailure(e) || e is PipelineInvalidException)
        {
            Console.Error.WriteLine($"error: {(e is PipelineInvalidException invalid ? string.Join("; ", invalid.Errors) : StageFailure.Reason(e))}");
            return 1;
        }

        var jobs = new List<SlurmStageJob>();
        try
        {
            foreach (var resolved in stages.Where(s => !s.Stored))
                jobs.Add(SubmitStage(layout, submission, pipeline, copy, resolved, jobs));
        }
        catch (SlurmException e)
        {
            // All or nothing: a half-submitted pipeline would leave dependants waiting on jobs that never come.
            try { SlurmClient.Cancel(jobs.Select(j => j.JobId).ToList()); } catch (SlurmException) { }
            Console.Error.WriteLine($"error: {e.Message}; the {jobs.Count} jobs submitted before were cancelled");
            return 1;
        }
        var reused = stages.Where(s => s.Stored).Select(s => s.Stage.Id).ToList();
        new SlurmSubmission(pipeline.Name, submission, copy, jobs, reused).Save(layout.RecordFile(submission));
        output.WriteLine(jobs.Count == 0
            ? $"Submitted {submission}: nothing to run, all {reused.Count} stages are in the store"
            : $"Submitted {submission}: {jobs.Count} jobs ({string.Join(", ", jobs.Select(j => $"{j.Stage} {j.JobId}"))}), {reused.Count} stages reused from the store");
        output.WriteLine($"Follow it with `distill status {pipeline.Name} --engine slurm --root {layout.Cluster.Root}`; job scripts and logs are in {layout.SubmissionFolder(submission)}");
        return 0;
    }

    private static SlurmStageJob SubmitStage(SlurmLayout layout, string submission, PipelineDefinition pipeline, string copy, ResolvedStage resolved, IReadOnlyList<SlurmStageJob> submitted)
    {
        var stage = resolved.Stage;
        var resources = StageCompute.Resources(pipeline, stage);
        // Inputs the store already holds need no job to wait for.
        var dependencies = stage.Dependencies.Select(d => submitted.FirstOrDefault(j => j.Stage == d)?.JobId).OfType<string>().ToList();
        var identity = layout.Identity(submission, stage.Id);
        resolved.Identity.Save(identity);
        var script = new SlurmJobScript($"{pipeline.Name}:{stage.Id}", layout.Output(submission, stage.Id), resources, dependencies,
            copy, layout.ResolvedPipeline(submission), stage.Id, layout.Cluster.Runs, identity, StageCompute.Device(pipeline, resources), StageCompute.Threads(pipeline, resources),
            layout.CancelMark(submission));
        var path = layout.Script(submission, stage.Id);
        AtomicFile.WriteAllText(path, script.Text());
        return new SlurmStageJob(stage.Id, SlurmClient.Submit(path), resolved.Identity.Key, dependencies);
    }
}
