using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>The loss a trainer minimises for one batch.</summary>
public interface ITrainingObjective
{
    /// <param name="logits">Model outputs for the batch, N x K.</param>
    /// <param name="batch">The batch: inputs (a live teacher needs them), labels, and cache rows (a logit cache needs them).</param>
    Tensor Loss(Tensor logits, TrainingBatch batch);
}

/// <summary>Cross-entropy with label smoothing alpha (alpha = 0: hard targets).</summary>
public sealed class LabelSmoothingObjective(double alpha) : ITrainingObjective
{
    public double Alpha { get; } = alpha;

    public Tensor Loss(Tensor logits, TrainingBatch batch) => LabelSmoothing.CrossEntropy(logits, batch.Labels, Alpha);
}
