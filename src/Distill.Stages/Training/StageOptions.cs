using Distill.Stages.Kinds.Shared;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Training;

/// <summary>Turns a stage's resolved parameters into the learning layer's settings.</summary>
public static class StageOptions
{
    public static TrainerOptions Trainer(TrainingParameters p, AugmentationSpec augmentation, long seed) => new()
    {
        Epochs = p.Epochs,
        BatchSize = p.BatchSize,
        EvalBatchSize = p.EvalBatchSize,
        EvaluateEvery = p.EvaluateEvery,
        LearningRate = p.LearningRate,
        Momentum = p.Momentum,
        Nesterov = p.Nesterov,
        WeightDecay = p.WeightDecay,
        Schedule = p.Schedule switch
        {
            TrainingSchedule.Multistep => ScheduleKind.MultiStep,
            TrainingSchedule.Cosine => ScheduleKind.Cosine,
            TrainingSchedule.Constant => ScheduleKind.Constant,
            _ => throw new ArgumentOutOfRangeException(nameof(p), p.Schedule, "unknown schedule"),
        },
        Milestones = p.Milestones,
        LearningRateDecay = p.LearningRateDecay,
        ClipGradNorm = p.ClipGradNorm,
        Augmentation = augmentation,
        Precision = p.Precision,
        Seed = seed,
    };


}
