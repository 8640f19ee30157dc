using Distill.Learning.Training;
using Distill.Runs;
using static TorchSharp.torch;

namespace Distill.Stages.Distillation;

/// <summary>A teacher replayed from its memory-mapped logit cache: each batch gathers its rows straight into a tensor.</summary>
public sealed class CachedTeacher(NpyFile cache, Device device) : ITeacherLogits, IDisposable
{
    public Tensor For(TrainingBatch batch)
    {
        var values = new float[batch.Rows.Length * cache.Columns];
        cache.GatherRows(batch.Rows, values);
        var logits = tensor(values, [batch.Rows.Length, cache.Columns]);
        if (device.type == TorchSharp.DeviceType.CPU) return logits;
        using (logits) return logits.to(device);
    }

    public void Dispose() => cache.Dispose();
}
