using Distill.Learning.Data;
using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Stages.Models;

/// <summary>A model's penultimate activations (its embedding before the classifier) of chosen examples, plain images, eval mode.</summary>
public static class PenultimateActivations
{
    private const int BatchSize = 256;

    /// <summary>N x D, row-major, in the order of <paramref name="indices"/>.</summary>
    public static float[] Of(ClassifierNet net, BatchMaker maker, long[] indices)
    {
        net.eval();
        using var noGrad = no_grad();
        var rows = new List<float>();
        for (int start = 0; start < indices.Length; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = indices.AsSpan(start, Math.Min(BatchSize, indices.Length - start));
            var (inputs, _) = maker.Make(batch, AugmentationSpec.None, 0, 0);
            var features = net.Features(inputs).to(CPU).to_type(ScalarType.Float32).contiguous();
            rows.AddRange(features.data<float>().ToArray());
        }
        return rows.ToArray();
    }
}
