using Distill.Learning.Data;
using Distill.Learning.Randomness;
using Distill.Runs;

namespace Distill.Stages.Distillation;

/// <summary>
/// The conventions a logit cache's writer and readers share: file names, the seed of the augmented
/// views, and the sidecar a reader expects.
/// </summary>
public static class LogitCacheLayout
{
    public static string FileName(DataSplit split) => $"logits-{Name(split)}.npy";

    /// <summary>What an import-logits stage's sidecars say in place of the teacher weights' hash: there are none.</summary>
    public const string ImportedWeights = "none: logits imported";

    public static string LabelsFileName(DataSplit split) => $"labels-{Name(split)}.npy";

    public static string IndicesFileName(DataSplit split) => $"indices-{Name(split)}.npy";

    /// <summary>The teacher's penultimate embeddings of the split, rows as in the logits' file (`embeddings: true`).</summary>
    public static string EmbeddingsFileName(DataSplit split) => $"embeddings-{Name(split)}.npy";

    private static string Name(DataSplit split) => split.ToString().ToLowerInvariant();

    /// <summary>Writes the split's labels and published-dataset indices beside its logits; returns them as the sidecar names them.</summary>
    public static (CacheArray Labels, CacheArray Indices) WriteLabelsAndIndices(StageDirectory stage, DataSplit split, long[] labels, long[] indices)
    {
        CacheArray Write(string name, long[] values)
        {
            var path = stage.OutputPath(name);
            NpyVector.WriteInt64(path, values);
            return new CacheArray(name, FileHash.Sha256Hex(path));
        }
        return (Write(LabelsFileName(split), labels), Write(IndicesFileName(split), indices));
    }

    /// <summary>Views exist only for the training split; validation and test hold the plain images.</summary>
    public static int ViewsFor(DataSplit split, int views) => split == DataSplit.Train ? views : 1;

    /// <summary>View v of example i is the augmentation drawn from (this seed, i, v): a pure function of the teacher's
    /// stream key (<see cref="StageManifest.StreamKey"/>: its content, not its name or the revisions of its code).</summary>
    public static long ViewSeed(long pipelineSeed, string teacherStreamKey) =>
        (long)DeterministicRandom.Hash(pipelineSeed, DeterministicRandom.HashText("views:" + teacherStreamKey));

    public static string ViewSpec(AugmentationSpec augmentation, long viewSeed, int views) =>
        views == 1 ? "view 0 only (plain images)" : $"view 0 plain; views 1..{views - 1}: {augmentation}, seed={viewSeed}";

    /// <summary>The sidecar a cache must match.</summary>
    public static LogitCacheSidecar Expected(string teacherKey, string teacherWeightsSha256, string datasetFingerprint, DataSplit split,
        int examples, int classes, int views, string viewSpec) =>
        new(LogitCacheSidecar.CurrentFormatVersion, teacherKey, teacherWeightsSha256, datasetFingerprint, split.ToString().ToLowerInvariant(),
            ExampleSelection.Range(0, examples), views, viewSpec, LogitCacheSidecar.Float32Dtype, [(long)views * examples, classes]);
}
