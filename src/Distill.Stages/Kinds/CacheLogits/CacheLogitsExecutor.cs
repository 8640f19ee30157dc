using Distill.Analysis;
using Distill.Analysis.Calibration;
using Distill.Learning.Data;
using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;

namespace Distill.Stages.Kinds.CacheLogits;

/// <summary>
/// `cache-logits`: runs a trained teacher over the chosen splits (and, for the training split, V
/// deterministic views) and stores the raw logits as NumPy .npy files with a JSON sidecar each.
/// </summary>
public sealed class CacheLogitsExecutor : StageExecutor<CacheLogitsParameters>
{
    public override StageKindSpec Spec => CacheLogitsKind.Definition;

    public override bool VerifiesOutputsOnEveryRun => true;

    protected override StageResult Execute(StageContext context, CacheLogitsParameters p)
    {
        var teacher = context.Input("teacher");
        var dataset = context.Data.Get(teacher.Definition.Dataset!);
        var data = dataset.Prepared;
        int batchSize = p.BatchSize;
        int views = p.Views;
        long viewSeed = LogitCacheLayout.ViewSeed(context.Pipeline.Seed, teacher.Manifest.StreamKey);
        using var model = TeacherModel.Load(context, teacher, dataset);
        var metrics = new Dictionary<string, double>();

        foreach (var split in p.Splits.Select(s => Enum.Parse<DataSplit>(s, ignoreCase: true)))
        {
            if (context.Stop.IsCancellationRequested) return StageResult.Stopped;
            var images = data.Get(split);
            var maker = new BatchMaker(images, data.Statistics, context.Device);
            int splitViews = LogitCacheLayout.ViewsFor(split, views);
            int classes = data.ClassNames.Count;
            var path = context.Directory.OutputPath(LogitCacheLayout.FileName(split));

            float[]? plain = null;
            using (var writer = NpyWriter.Create(path, (long)splitViews * images.Count, classes))
            using (var embeddings = p.Embeddings ? NpyWriter.Create(context.Directory.OutputPath(LogitCacheLayout.EmbeddingsFileName(split)), (long)splitViews * images.Count, (int)model.EmbeddingWidth(images.Channels, images.Height, images.Width)) : null)
            {
                for (int view = 0; view < splitViews; view++)
                {
                    var augmentation = view == 0 ? AugmentationSpec.None : dataset.Augmentation;
                    float[] logits;
                    if (embeddings is null) logits = Evaluator.Logits(model, maker, batchSize, augmentation, viewSeed, view);
                    else
                    {
                        (logits, var embedded, _) = Evaluator.LogitsAndEmbeddings(model, maker, batchSize, augmentation, viewSeed, view);
                        embeddings.AppendRows(embedded);
                    }
                    plain ??= logits;
                    writer.AppendRows(logits);
                }
                writer.Commit();
                embeddings?.Commit();
                var (labels, indices) = LogitCacheLayout.WriteLabelsAndIndices(context.Directory, split, images.Labels, images.SourceIndices);
                var embeddingsArray = embeddings is null ? null : new CacheArray(LogitCacheLayout.EmbeddingsFileName(split), FileHash.Sha256Hex(embeddings.Path));
                (VerifiedLogitCache.Expected(context, (ILogitCacheKind)context.Pipeline.Catalogue.Kind(context.Stage.Kind)!, teacher, dataset, split, views) with { Labels = labels, Indices = indices, Embeddings = embeddingsArray })
                    .Save(LogitCacheSidecar.PathFor(path));
            }
            if (images.Count > 0)
                metrics[MetricNames.SplitAccuracy(split.ToString().ToLowerInvariant())] =
                    CalibrationMetrics.Accuracy(LogitMatrix.FromFloats(plain!, classes), images.Labels.Select(l => (int)l).ToArray());
            context.Observer.Info($"{context.Stage.Id}: cached {splitViews} x {images.Count} {split.ToString().ToLowerInvariant()} logits{(p.Embeddings ? " and embeddings" : "")}");
        }
        return new StageResult(true, metrics);
    }
}
