using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Training;

/// <summary>Turns a stage's resolved parameters into the learning layer's settings.</summary>
public static class StageOptions
{
    public static TrainerOptions Trainer(ParameterSet p, AugmentationSpec augmentation, long seed) => new()
    {
        Epochs = p.GetInt("epochs"),
        BatchSize = p.GetInt("batch-size"),
        EvalBatchSize = p.GetInt("eval-batch-size"),
        LearningRate = p.GetDouble("lr"),
        Momentum = p.GetDouble("momentum"),
        Nesterov = p.GetBool("nesterov"),
        WeightDecay = p.GetDouble("weight-decay"),
        Schedule = p.GetString("schedule") switch
        {
            "cosine" => ScheduleKind.Cosine,
            "constant" => ScheduleKind.Constant,
            _ => ScheduleKind.MultiStep,
        },
        Milestones = p.GetDoubles("milestones"),
        LearningRateDecay = p.GetDouble("lr-decay"),
        ClipGradNorm = p.GetDouble("clip-grad-norm"),
        Augmentation = augmentation,
        Seed = seed,
    };

    public static ModelSpec Model(ModelDefinition model) => new(
        model.Architecture,
        model.Parameters.TryGetInt("depth") ?? Architectures.DefaultInt(Architectures.ResNet, "depth"),
        model.Parameters.TryGetInt("width") ?? Architectures.DefaultInt(Architectures.ResNet, "width"));

    /// <summary>How often to checkpoint within an epoch.</summary>
    public static TimeSpan CheckpointInterval(ParameterSet p) => TimeSpan.FromMinutes(p.GetDouble("checkpoint-minutes"));
}
