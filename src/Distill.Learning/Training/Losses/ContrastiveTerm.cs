using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// CRD (Tian et al., "Contrastive Representation Distillation", ICLR 2020), `loss: crd`: both models' features at the
/// point (the penultimate embedding in the published runs) projected by trained heads onto a unit sphere and
/// contrasted, with NCE, against a memory of every training example's past embeddings: the example itself is the
/// positive, K examples of other classes the negatives (<see cref="ContrastMemory"/>, <see cref="ContrastNegatives"/>).
/// A batch's examples are its rows modulo the training split's size, so cached views share their example's memory row.
/// </summary>
public sealed class ContrastiveTerm(string point, int dimension, int negatives, double temperature, double momentum) : IRepresentationTerm
{
    private ContrastMemory? _memory;
    private ContrastNegatives? _negatives;

    public IReadOnlyList<string> Points { get; } = [point];

    public nn.Module? Connector => _memory;

    /// <summary>See <see cref="ContrastMemory.NormalisersSet"/>.</summary>
    public Action<double, double>? NormalisersSet { get; set; }

    public void Connect(ConnectorContext context)
    {
        _memory?.Dispose();
        manual_seed(context.Seed);
        long Features(IReadOnlyDictionary<string, long[]> shapes) => shapes[Points[0]].Aggregate(1L, (a, b) => a * b);
        _memory = new ContrastMemory(Features(context.Student), Features(context.Teacher), context.TrainingLabels.Count, dimension, temperature, momentum)
        {
            NormalisersSet = (s, t) => NormalisersSet?.Invoke(s, t),
        };
        _negatives = new ContrastNegatives(context.TrainingLabels, negatives, context.Seed);
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var memory = _memory ?? throw new InvalidOperationException("CRD's memory is built by Connect before the first step");
        var examples = batch.Rows.Select(r => r % _negatives!.Examples).ToArray();
        var device = student[Points[0]].device;
        using var scope = NewDisposeScope();
        var contrast = tensor(_negatives!.Draw(examples, batch.Epoch), [examples.Length, negatives + 1], device: device);
        return memory.Loss(student[Points[0]], teacher[Points[0]], tensor(examples, device: device), contrast).MoveToOuterDisposeScope();
    }
}
