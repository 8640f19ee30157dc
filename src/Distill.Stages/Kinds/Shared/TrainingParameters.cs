using Distill.Learning.Platform;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Shared;

/// <summary>The learning-rate schedules a training stage can follow.</summary>
public enum TrainingSchedule { Multistep, Cosine, Constant }

/// <summary>The keys the kinds that train a model (train, distill) share, inlined into their records.</summary>
public sealed record TrainingParameters(
    [Key("epochs", "Training epochs.", Min = 1)] int Epochs = 5,
    [Key("batch-size", "Training mini-batch size.", Min = 1)] int BatchSize = 128,
    [Key("lr", "Initial learning rate (SGD).", Min = 0, ExclusiveMin = true)] double LearningRate = 0.1,
    [Key("momentum", "SGD momentum.", Min = 0, Max = 1, ExclusiveMax = true)] double Momentum = 0.9,
    [Key("nesterov", "Nesterov momentum.")] bool Nesterov = true,
    [Key("weight-decay", "L2 weight decay.", Min = 0)] double WeightDecay = 5e-4,
    [Key("schedule", "Learning-rate schedule.")] TrainingSchedule Schedule = TrainingSchedule.Multistep,
    [Key("milestones", "Multistep schedule: fractions of training at which the rate is multiplied by lr-decay.",
        Min = 0, ExclusiveMin = true, Max = 1, ExclusiveMax = true, Ascending = true, DefaultNumbers = [0.5, 0.75])]
    IReadOnlyList<double> Milestones = null!,
    [Key("lr-decay", "Multistep schedule: factor applied at each milestone.", Min = 0, ExclusiveMin = true, Max = 1)] double LearningRateDecay = 0.1,
    [Key("clip-grad-norm", "Clip the gradient's global norm to this value; 0 turns clipping off.", Min = 0)] double ClipGradNorm = 0,
    [Key("checkpoint-minutes", "Minutes of work between mid-epoch checkpoints.", Min = 0, ExclusiveMin = true, AffectsResult = false)] double CheckpointMinutes = 5,
    [Key("evaluate-every", "Epochs between evaluations of the validation and test splits (curves get a point each time; the last epoch is always evaluated). Above 1 it saves the evaluation's time on short epochs.", Min = 1, SeedOmitsDefault = true)]
    int EvaluateEvery = 1,
    [Key("eval-batch-size", "Mini-batch size for evaluation.", Min = 1, AffectsResult = false)] int EvalBatchSize = 512,
    [Key("precision", "What convolutions and hidden linear layers multiply in while training and evaluating: fp32, or bf16 (bfloat16 activations; float32 master weights, optimizer state, batch-norm statistics, classifier, softmax and loss; needs a CPU with bfloat16 instructions, else the stage fails naming the missing flag; faster than fp32 only on CPUs that multiply bfloat16 faster, such as AMD Zen 4/5 or Intel with AMX). Caches and calibration of the model compute in fp32.", SeedOmitsDefault = true)]
    Precision Precision = Precision.Fp32)
{
    /// <summary>The work of training with these keys, for duration estimates: every epoch, and the evaluated ones.</summary>
    public TrainingWork Work(double extraPassesPerEpoch = 0, bool liveTeacher = false) =>
        new(Epochs, Epochs / EvaluateEvery + (Epochs % EvaluateEvery == 0 ? 0 : 1), extraPassesPerEpoch, liveTeacher);

    /// <summary>Description of the `views` key, which distill (reads them) and cache-logits (writes them) share.</summary>
    public const string ViewsDescription = "Deterministic augmented views per training example (1 = the plain image only).";
}
