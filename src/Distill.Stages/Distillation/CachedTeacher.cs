using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Runs;
using static TorchSharp.torch;

namespace Distill.Stages.Distillation;

/// <summary>
/// A teacher replayed from its memory-mapped logit cache, and from its embeddings when the cache holds them: each batch
/// gathers its rows straight into tensors, with no teacher model loaded.
/// </summary>
public sealed class CachedTeacher(NpyFile logits, NpyFile? embeddings, Device device) : ITeacherOutputs, IDisposable
{
    public CachedTeacher(NpyFile logits, Device device) : this(logits, null, device) { }

    public bool Offers(string point) => point == FeaturePoints.Logits || (point == FeaturePoints.Embedding && embeddings is not null);

    public ModelOutputs For(TrainingBatch batch, IReadOnlyCollection<string> points)
    {
        if (points.Any(p => !Offers(p)))
            throw new NotSupportedException($"this cache holds {(embeddings is null ? "logits only" : "logits and embeddings")}, not {string.Join(", ", points.Where(p => !Offers(p)))}");
        var features = new Dictionary<string, Tensor>();
        if (points.Contains(FeaturePoints.Embedding)) features[FeaturePoints.Embedding] = Rows(embeddings!, batch);
        return new ModelOutputs(Rows(logits, batch), features);
    }

    private Tensor Rows(NpyFile file, TrainingBatch batch)
    {
        var values = new float[batch.Rows.Length * file.Columns];
        file.GatherRows(batch.Rows, values);
        var rows = tensor(values, [batch.Rows.Length, file.Columns]);
        if (device.type == TorchSharp.DeviceType.CPU) return rows;
        using (rows) return rows.to(device);
    }

    public void Dispose()
    {
        logits.Dispose();
        embeddings?.Dispose();
    }
}
