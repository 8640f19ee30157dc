using Distill.Learning.Data;
using Distill.Learning.Platform;

namespace Distill.Learning.Training;

public enum ScheduleKind
{
    MultiStep,
    Cosine,
    Constant,
}

/// <summary>Optimisation settings of one training run.</summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 128;
    public int EvalBatchSize { get; init; } = 512;

    /// <summary>Epochs between evaluations of the held-out splits; the last epoch is always evaluated.</summary>
    public int EvaluateEvery { get; init; } = 1;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; } = true;
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>
    /// DOT's delta (<see cref="DistillationOrientedOptimizer"/>): the task gradient's momentum is Momentum - delta, the
    /// distillation gradient's Momentum + delta. Null trains with plain SGD; DOT needs an objective with parts
    /// (<see cref="ITrainingObjective.Parts"/>) and takes neither Nesterov nor gradient clipping.
    /// </summary>
    public double? DotDelta { get; init; }
    public ScheduleKind Schedule { get; init; } = ScheduleKind.MultiStep;

    /// <summary>Fractions of training at which a multi-step schedule multiplies the rate by <see cref="LearningRateDecay"/>.</summary>
    public IReadOnlyList<double> Milestones { get; init; } = [0.5, 0.75];
    public double LearningRateDecay { get; init; } = 0.1;

    /// <summary>Maximum gradient norm (0 = no clipping).</summary>
    public double ClipGradNorm { get; init; }
    public AugmentationSpec Augmentation { get; init; } = new();

    /// <summary>Root of every random choice of this run (data order, augmentation, initialisation).</summary>
    public long Seed { get; init; }

    /// <summary>
    /// What the model's convolutions and hidden linear layers multiply in (see <see cref="Models.ClassifierNet.Precision"/>);
    /// the trainer sets it on the model. Float32 by default; <see cref="Precision.Bf16"/> keeps float32 master weights,
    /// gradients and optimizer state, and throws <see cref="CpuFeatureMissingException"/> where the CPU lacks bfloat16.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    public LearningRateSchedule CreateSchedule(int stepsPerEpoch) =>
        new(Schedule, LearningRate, Milestones, LearningRateDecay, Epochs, stepsPerEpoch);
}
