using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>The loss a trainer minimises for one batch.</summary>
public interface ITrainingObjective
{
    /// <summary>The feature points of the trained model the loss reads besides its logits (<see cref="ClassifierNet.Forward"/>).</summary>
    IReadOnlyCollection<string> ModelPoints => ModelOutputs.LogitsOnly;

    /// <summary>Layers the objective trains beside the model (see <see cref="IDistillationLoss.Connector"/>); null for most.</summary>
    nn.Module? Connector => null;

    /// <param name="model">The trained model's outputs for the batch: logits N x K and the points asked for.</param>
    /// <param name="batch">The batch: inputs (a live teacher needs them), labels, and cache rows (a logit cache needs them).</param>
    Tensor Loss(ModelOutputs model, TrainingBatch batch);

    /// <summary>The loss as DOT's two parts, which sum to <see cref="Loss"/>; null when the objective has no distillation part.</summary>
    LossParts? Parts(ModelOutputs model, TrainingBatch batch) => null;
}

/// <summary>A loss split for DOT: the task part (the weighted cross-entropy with the labels) and the distillation part (the rest).</summary>
public sealed record LossParts(Tensor Task, Tensor Distillation);

/// <summary>Cross-entropy with label smoothing alpha (alpha = 0: hard targets).</summary>
public sealed class LabelSmoothingObjective(double alpha) : ITrainingObjective
{
    public double Alpha { get; } = alpha;

    public Tensor Loss(ModelOutputs model, TrainingBatch batch) => LabelSmoothing.CrossEntropy(model.Logits, batch.Labels, Alpha);
}
