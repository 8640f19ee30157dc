using Distill.Learning.Training;
using Distill.Runs;
using static TorchSharp.torch;

namespace Distill.Stages.Distillation;

/// <summary>A teacher replayed from its memory-mapped logit cache: each batch gathers its rows straight into a tensor.</summary>
public sealed class CachedTeacher(NpyFile cache, Device device) : ITeacherOutputs, IDisposable
{
    public bool Offers(string point) => point == Distill.Learning.Models.FeaturePoints.Logits;

    public Distill.Learning.Models.ModelOutputs For(TrainingBatch batch, IReadOnlyCollection<string> points)
    {
        if (points.Any(p => !Offers(p)))
            throw new NotSupportedException($"a logit cache holds logits only, not {string.Join(", ", points.Where(p => !Offers(p)))}");
        return new Distill.Learning.Models.ModelOutputs(Logits(batch));
    }

    private Tensor Logits(TrainingBatch batch)
    {
        var values = new float[batch.Rows.Length * cache.Columns];
        cache.GatherRows(batch.Rows, values);
        var logits = tensor(values, [batch.Rows.Length, cache.Columns]);
        if (device.type == TorchSharp.DeviceType.CPU) return logits;
        using (logits) return logits.to(device);
    }

    public void Dispose() => cache.Dispose();
}
