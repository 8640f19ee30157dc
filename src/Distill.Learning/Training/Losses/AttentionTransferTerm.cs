using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// AT (Zagoruyko and Komodakis, "Paying More Attention to Attention", ICLR 2017), `loss: at`: a feature map's
/// attention is the channel mean of its activations to the power p, flattened and L2-normalised per example; the
/// term is the mean squared difference of the two models' attentions, summed over the feature points (one stage
/// each, of equal spatial size in both models).
/// </summary>
public sealed class AttentionTransferTerm(IReadOnlyList<string> points, double power) : IRepresentationTerm
{
    public IReadOnlyList<string> Points { get; } = points;

    public Tensor Loss(Models.ModelOutputs student, Models.ModelOutputs teacher, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var total = Points.Select(p => Attention(student[p]).sub(Attention(teacher[p])).pow(2).mean()).Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }

    private Tensor Attention(Tensor map) => nn.functional.normalize(map.pow(power).mean([1]).flatten(1), p: 2, dim: 1);
}
