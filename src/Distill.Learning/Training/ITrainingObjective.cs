using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>The loss a trainer minimises for one batch.</summary>
public interface ITrainingObjective
{
    /// <param name="logits">Model outputs, N x K.</param>
    /// <param name="labels">True classes, N.</param>
    /// <param name="inputs">The batch the model saw (a live teacher needs it).</param>
    /// <param name="exampleIndices">Indices of the batch's examples in the training split (a logit cache needs them).</param>
    Tensor Loss(Tensor logits, Tensor labels, Tensor inputs, ReadOnlySpan<long> exampleIndices);
}

/// <summary>Cross-entropy with label smoothing alpha (alpha = 0: hard targets).</summary>
public sealed class LabelSmoothingObjective(double alpha) : ITrainingObjective
{
    public double Alpha { get; } = alpha;

    public Tensor Loss(Tensor logits, Tensor labels, Tensor inputs, ReadOnlySpan<long> exampleIndices) =>
        LabelSmoothing.CrossEntropy(logits, labels, Alpha);
}
