using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;

namespace Distill.Cli.Cluster;

/// <summary>What every scheduled engine does with a pipeline file it is given: validate it, then keep the submitted copy on the shared root.</summary>
internal static class SubmittedPipeline
{
    /// <summary>The pipeline, valid and with its data present or downloadable; null after printing every problem (file:line:column) to stderr.</summary>
    public static PipelineDefinition? Validate(string file)
    {
        var loaded = PipelineLoader.Load(file, StageKindRegistry.Catalogue);
        var problems = loaded.Succeeded ? DataPreflight.Problems(loaded.Pipeline!) : loaded.Errors.Select(e => e.ToString()).ToList();
        foreach (var problem in problems) Console.Error.WriteLine(problem);
        return problems.Count == 0 ? loaded.Pipeline : null;
    }

    /// <summary>
    /// Saves the file as submission <paramref name="submission"/> (<c>pipelines/&lt;submission&gt;.yaml</c>, what the jobs
    /// read) and as its run's pipeline copy (what status, compare and the dashboard read, as after `distill run`); the copy's path.
    /// </summary>
    public static string Save(ClusterLayout layout, string submission, string file, string run)
    {
        var text = File.ReadAllText(file);
        Directory.CreateDirectory(layout.Pipelines);
        Directory.CreateDirectory(layout.Runs);
        AtomicFile.WriteAllText(layout.PipelineFile(submission), text);
        AtomicFile.WriteAllText(Path.Combine(RunDirectory.Open(layout.Runs, run).RootPath, PipelineRunner.PipelineCopyName), text);
        return layout.PipelineFile(submission);
    }
}
