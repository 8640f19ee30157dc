using Distill.Learning.Models;
using Distill.Learning.Randomness;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// A part of a loss's connector that trains alone, on the teacher's outputs, before the student's first step, and is
/// frozen afterwards (FT's paraphraser, trained in RepDistiller's init stage to reconstruct the teacher's map). It is
/// part of <see cref="IDistillationLoss.Connector"/>, so the student's checkpoints hold it as it was trained.
/// </summary>
public interface IConnectorPretraining
{
    /// <summary>The teacher's points the part learns from.</summary>
    IReadOnlyCollection<string> TeacherPoints { get; }

    /// <summary>The part's parameters, which only this phase trains.</summary>
    IEnumerable<TorchSharp.Modules.Parameter> Parameters { get; }

    int Epochs { get; }

    /// <summary>The phase's constant learning rate (RepDistiller's init: 0.01 for ResNet and WRN students).</summary>
    double LearningRate { get; }

    /// <summary>The phase's loss on a batch of the teacher's outputs (batch mean).</summary>
    Tensor Loss(ModelOutputs teacher);
}

/// <summary>
/// Runs a connector's pre-training phase as RepDistiller's init() does: SGD at a constant learning rate with the
/// stage's momentum and weight decay, over the stage's training batches, epoch after epoch. The order of each epoch is
/// a pure function of (seed, epoch), so the phase trains to the same bits every time it runs.
/// </summary>
public static class ConnectorPretrainer
{
    /// <summary>Trains the part; false when <paramref name="stop"/> asked to stop first (the part is then half trained).</summary>
    public static bool Run(IConnectorPretraining part, ITeacherOutputs teacher, ITrainingBatches batches, TrainerOptions options,
        CancellationToken stop, Action<int, double>? epochFinished = null)
    {
        var parameters = part.Parameters.ToList();
        using var optimizer = new SGD(parameters, part.LearningRate, options.Momentum, options.WeightDecay, nesterov: false);
        var finalizerOnly = new FinalizerOnlyNatives();
        int steps = (batches.Count + options.BatchSize - 1) / options.BatchSize;
        for (int epoch = 0; epoch < part.Epochs; epoch++)
        {
            var order = DeterministicRandom.Permutation(batches.Count, options.Seed, DeterministicRandom.HashText("connector-pretraining"), epoch);
            double sum = 0;
            for (int step = 0; step < steps; step++)
            {
                if (stop.IsCancellationRequested) return false;
                int start = step * options.BatchSize;
                using var scope = NewDisposeScope();
                var batch = batches.Make(order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start)), epoch);
                using var outputs = teacher.For(batch, part.TeacherPoints);
                optimizer.zero_grad();
                var loss = part.Loss(outputs);
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException($"the connector's pre-training loss became {value} at its epoch {epoch + 1}, step {step + 1}; lower its learning rate");
                loss.backward();
                optimizer.step();
                sum += value;
                finalizerOnly.ReleaseIfDue();
            }
            epochFinished?.Invoke(epoch + 1, sum / steps);
        }
        // Frozen from here: with a gradient left (zeros after the student's zero_grad) the student's SGD would still
        // decay the part's weights every step, which a run resumed from a checkpoint (no gradient) would not.
        foreach (var parameter in parameters) parameter.grad = null;
        return true;
    }
}
