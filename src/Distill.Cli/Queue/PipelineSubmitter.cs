using Distill.Stages.Kinds;
using Distill.Pipelines;
using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>What `distill submit` did: the queued file, or the errors (and then nothing was written).</summary>
internal sealed record SubmitResult(string? QueuedPath, IReadOnlyList<string> Errors)
{
    public bool Succeeded => QueuedPath is not null;
}

/// <summary>Validates a pipeline file and places a copy in the queue under a unique name, atomically.</summary>
internal sealed class PipelineSubmitter(QueueLayout layout)
{
    public SubmitResult Submit(string file, DateTimeOffset now)
    {
        var loaded = PipelineLoader.Load(file, StageKindRegistry.Catalogue);
        if (!loaded.Succeeded) return new SubmitResult(null, loaded.Errors.Select(e => e.ToString()).ToList());
        var pipeline = loaded.Pipeline!;
        var text = File.ReadAllText(file);

        var moved = MovedDatasetPaths(pipeline, text, file);
        if (moved.Count > 0) return new SubmitResult(null, moved);

        Directory.CreateDirectory(layout.Queue);
        // Write beside the target under a hidden temporary name (the worker ignores it), then rename:
        // a worker never sees half a file. The rename refuses to overwrite, so names stay unique.
        var temp = AtomicFile.TempPathFor(Path.Combine(layout.Queue, pipeline.Name + QueueLayout.PipelineExtension));
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var target = Path.Combine(layout.Queue, QueueFileName.Create(pipeline.Name, now, attempt));
                try
                {
                    File.Move(temp, target, overwrite: false);
                    return new SubmitResult(target, []);
                }
                catch (IOException) when (File.Exists(target) && attempt < 1000) { }
            }
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Relative dataset paths are resolved from the pipeline file's folder; a queued copy lives elsewhere and would
    /// read other data. Such a file is refused (one line per dataset) rather than silently changed.
    /// </summary>
    private IReadOnlyList<string> MovedDatasetPaths(PipelineDefinition original, string text, string file)
    {
        var asQueued = PipelineLoader.LoadFromText(text, Path.Combine(layout.Claimed, Path.GetFileName(file)), StageKindRegistry.Catalogue).Pipeline;
        if (asQueued is null) return [];
        return original.Datasets.Values
            .Where(d => asQueued.Datasets.TryGetValue(d.Name, out var q) && q.Path != d.Path)
            .Select(d => $"{d.Location}: dataset '{d.Name}' uses a relative path; a queued copy would resolve it from {layout.Claimed}. Use an absolute path ({d.Path}).")
            .ToList();
    }
}
