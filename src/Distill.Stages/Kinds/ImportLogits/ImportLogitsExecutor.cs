using Distill.Analysis;
using Distill.Analysis.Calibration;
using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;

namespace Distill.Stages.Kinds.ImportLogits;

/// <summary>
/// `import-logits`: a teacher's logits computed by another program, taken in as a logit cache after checking them
/// against the dataset: one row per example of the split, one column per class, each row's label equal to the
/// dataset's, each row's index one of the split's examples. Rows may come in any order; they are stored in Distill's
/// order, with the cache layout (logits, labels, indices and sidecar per split), so distill and calibrate stages read
/// them like a cache-logits stage's.
/// </summary>
public sealed class ImportLogitsExecutor : StageExecutor<ImportLogitsParameters>
{
    public override StageKindSpec Spec => ImportLogitsKind.Definition;

    public override bool VerifiesOutputsOnEveryRun => true;

    protected override StageResult Execute(StageContext context, ImportLogitsParameters p)
    {
        var dataset = context.Data.Get(context.Stage.Dataset!);
        var data = dataset.Prepared;
        var folder = ExternalFiles.Resolve(context.Pipeline, p.Path);
        int classes = data.ClassNames.Count;
        var metrics = new Dictionary<string, double>();
        foreach (var split in p.Splits.Select(s => Enum.Parse<DataSplit>(s, ignoreCase: true)))
        {
            var images = data.Get(split);
            var rows = ExternalLogits.Read(folder, split, images, classes);
            var path = context.Directory.OutputPath(LogitCacheLayout.FileName(split));
            NpyWriter.Write(path, rows, images.Count, classes);
            var (labels, indices) = LogitCacheLayout.WriteLabelsAndIndices(context.Directory, split, images.Labels, images.SourceIndices);
            var sidecar = LogitCacheLayout.Expected(context.Directory.Key, LogitCacheLayout.ImportedWeights, dataset.Fingerprint, split,
                images.Count, classes, 1, LogitCacheLayout.ViewSpec(dataset.Augmentation, 0, 1)) with { Labels = labels, Indices = indices };
            sidecar.Save(LogitCacheSidecar.PathFor(path));
            if (images.Count > 0)
                metrics[MetricNames.SplitAccuracy(split.ToString().ToLowerInvariant())] =
                    CalibrationMetrics.Accuracy(LogitMatrix.FromFloats(rows, classes), images.Labels.Select(l => (int)l).ToArray());
            context.Observer.Info($"{context.Stage.Id}: imported {images.Count} {split.ToString().ToLowerInvariant()} logits from {folder}");
        }
        return new StageResult(true, metrics);
    }
}

/// <summary>Reads and checks one split of externally computed logits (see <see cref="ImportLogitsExecutor"/>).</summary>
public static class ExternalLogits
{
    /// <summary>
    /// The split's logits in Distill's example order, examples x classes, float32. Throws
    /// <see cref="InvalidDataException"/> naming the file and the difference: row or class count, a label, an index.
    /// </summary>
    public static float[] Read(string folder, DataSplit split, LabeledImages images, int classes)
    {
        var logitsPath = Path.Combine(folder, LogitCacheLayout.FileName(split));
        var labelsPath = Path.Combine(folder, LogitCacheLayout.LabelsFileName(split));
        var indicesPath = Path.Combine(folder, LogitCacheLayout.IndicesFileName(split));
        foreach (var file in new[] { logitsPath, labelsPath, indicesPath })
            if (!File.Exists(file)) throw new InvalidDataException($"{file}: missing (import-logits needs logits-, labels- and indices-<split>.npy for every split it imports)");

        using var logits = Wrap(logitsPath, () => NpyFile.Open(logitsPath));
        var labels = Wrap(labelsPath, () => NpyVector.ReadInt64(labelsPath));
        var indices = Wrap(indicesPath, () => NpyVector.ReadInt64(indicesPath));
        string name = split.ToString().ToLowerInvariant();
        if (logits.Rows != images.Count)
            throw new InvalidDataException($"{logitsPath}: {logits.Rows} rows, but the {name} split has {images.Count} examples");
        if (logits.Columns != classes)
            throw new InvalidDataException($"{logitsPath}: {logits.Columns} columns, but the dataset has {classes} classes");
        if (labels.Length != logits.Rows)
            throw new InvalidDataException($"{labelsPath}: {labels.Length} labels for {logits.Rows} rows of logits");
        if (indices.Length != logits.Rows)
            throw new InvalidDataException($"{indicesPath}: {indices.Length} indices for {logits.Rows} rows of logits");

        var position = new Dictionary<long, int>(images.Count);
        for (int i = 0; i < images.Count; i++) position[images.SourceIndices[i]] = i;
        var rowOf = new long[images.Count];
        Array.Fill(rowOf, -1);
        for (int row = 0; row < indices.Length; row++)
        {
            if (!position.TryGetValue(indices[row], out var example))
                throw new InvalidDataException($"{indicesPath}: row {row} has index {indices[row]}, which is not an example of the {name} split");
            if (rowOf[example] >= 0)
                throw new InvalidDataException($"{indicesPath}: index {indices[row]} appears twice (rows {rowOf[example]} and {row})");
            if (labels[row] != images.Labels[example])
                throw new InvalidDataException($"{labelsPath}: row {row} (dataset index {indices[row]}) has label {labels[row]}, the dataset says {images.Labels[example]}");
            rowOf[example] = row;
        }

        var ordered = new float[(long)images.Count * classes];
        logits.GatherRows(rowOf, ordered);
        return ordered;
    }

    private static T Wrap<T>(string path, Func<T> read)
    {
        try { return read(); }
        catch (RunFormatException e) { throw new InvalidDataException($"{path}: {e.Problem}", e); }
    }
}
