using Distill.Learning.Data;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;

namespace Distill.Stages.Distillation;

/// <summary>
/// What a cache-logits stage's file for a split must hold, and the one way readers open it: checked against that
/// expectation (sidecar provenance, header, length) before any row is used. The bytes themselves are guarded by the
/// cache stage's manifest hashes, which the engine checks on every run before any consumer starts.
/// </summary>
public static class VerifiedLogitCache
{
    /// <summary>The sidecar the writer records and readers expect.</summary>
    /// <param name="cacheKind">The kind of the stage that writes the cache.</param>
    /// <param name="cacheViews">The cache stage's views per training example.</param>
    public static LogitCacheSidecar Expected(StageContext context, ILogitCacheKind cacheKind, StageInputRef teacher, PipelineDataset dataset, DataSplit split, int cacheViews)
    {
        int views = LogitCacheLayout.ViewsFor(split, cacheViews);
        long viewSeed = LogitCacheLayout.ViewSeed(context.Pipeline.Seed, teacher.Manifest.StreamKey);
        var weights = cacheKind.TeacherWeights(teacher);
        return LogitCacheLayout.Expected(teacher.Manifest.Key, weights, dataset.Fingerprint, split,
            dataset.Prepared.Get(split).Count, dataset.Prepared.ClassNames.Count, views, LogitCacheLayout.ViewSpec(dataset.Augmentation, viewSeed, views));
    }

    /// <summary>Opens the split's cache after checking it; a mismatch names the file and every difference.</summary>
    public static NpyFile Open(StageContext context, StageInputRef teacher, StageInputRef cache, PipelineDataset dataset, DataSplit split)
    {
        var path = cache.Directory.OutputPath(LogitCacheLayout.FileName(split));
        var kind = (ILogitCacheKind)context.Pipeline.Catalogue.Kind(cache.Definition.Kind)!;
        var differences = LogitCacheValidator.Check(Expected(context, kind, teacher, dataset, split, kind.CachedViews(cache.Definition.Parameters)), path);
        if (differences.Count > 0)
            throw new InvalidDataException($"logit cache {path} does not match what stage '{context.Stage.Id}' expects: {string.Join("; ", differences)}");
        return NpyFile.Open(path);
    }

    /// <summary>
    /// The split's embeddings beside a checked logit cache (<see cref="Open"/> first): the file the sidecar names, with
    /// the hash it records and one row per logit row; a cache written without `embeddings: true` is an error naming it.
    /// </summary>
    public static NpyFile OpenEmbeddings(StageContext context, StageInputRef cache, long rows, DataSplit split)
    {
        var logits = cache.Directory.OutputPath(LogitCacheLayout.FileName(split));
        var named = LogitCacheSidecar.Load(LogitCacheSidecar.PathFor(logits))?.Embeddings
            ?? throw new StageInputException($"logit cache '{cache.Definition.Id}' holds no embeddings ({logits}); set `embeddings: true` on it");
        var path = cache.Directory.OutputPath(named.File);
        if (!File.Exists(path) || !string.Equals(FileHash.Sha256Hex(path), named.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"embeddings {path} are not the ones the sidecar of {logits} names (SHA-256 {named.Sha256[..12]}...)");
        var file = NpyFile.Open(path);
        if (file.Rows == rows) return file;
        file.Dispose();
        throw new InvalidDataException($"embeddings {path} have {file.Rows} rows where the logits have {rows}");
    }
}
