using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Shared;

/// <summary>The keys of the kinds that train a model (train, distill), and the record they are read into.</summary>
public static class TrainingKeys
{
    public static readonly IReadOnlyList<ParameterSpec> All =
    [
        P.Int("epochs", 5, "Training epochs.", min: 1),
        P.Int("batch-size", 128, "Training mini-batch size.", min: 1),
        P.Num("lr", 0.1, "Initial learning rate (SGD).", min: 0, exMin: true),
        P.Num("momentum", 0.9, "SGD momentum.", min: 0, max: 1, exMax: true),
        P.Bool("nesterov", true, "Nesterov momentum."),
        P.Num("weight-decay", 5e-4, "L2 weight decay.", min: 0),
        P.Enum("schedule", "multistep", "Learning-rate schedule.", "multistep", "cosine", "constant"),
        new()
        {
            Name = "milestones", Type = ParameterType.NumberList, Default = new List<object> { 0.5, 0.75 },
            Description = "Multistep schedule: fractions of training at which the rate is multiplied by lr-decay.",
            Minimum = 0, ExclusiveMinimum = true, Maximum = 1, ExclusiveMaximum = true, Ascending = true,
        },
        P.Num("lr-decay", 0.1, "Multistep schedule: factor applied at each milestone.", min: 0, exMin: true, max: 1),
        P.Num("clip-grad-norm", 0, "Clip the gradient's global norm to this value; 0 turns clipping off.", min: 0),
        P.Num("checkpoint-minutes", 5, "Minutes of work between mid-epoch checkpoints.", min: 0, exMin: true, affectsResult: false),
        P.Int("eval-batch-size", 512, "Mini-batch size for evaluation.", min: 1, affectsResult: false),
    ];

    /// <summary>Deterministic augmented views per example (distill reads them, cache-logits writes them).</summary>
    public static readonly ParameterSpec Views =
        P.Int("views", 1, "Deterministic augmented views per training example (1 = the plain image only).", min: 1);
}

/// <summary>The keys `train` and `distill` share (<see cref="TrainingKeys.All"/>).</summary>
public sealed record TrainingParameters(
    int Epochs, int BatchSize, double LearningRate, double Momentum, bool Nesterov, double WeightDecay,
    string Schedule, IReadOnlyList<double> Milestones, double LearningRateDecay, double ClipGradNorm,
    double CheckpointMinutes, int EvalBatchSize, bool TensorBoard)
{
    public static TrainingParameters From(ParameterSet p) => new(
        p.GetInt("epochs"), p.GetInt("batch-size"), p.GetDouble("lr"), p.GetDouble("momentum"), p.GetBool("nesterov"),
        p.GetDouble("weight-decay"), p.GetString("schedule"), p.GetDoubles("milestones"), p.GetDouble("lr-decay"),
        p.GetDouble("clip-grad-norm"), p.GetDouble("checkpoint-minutes"), p.GetInt("eval-batch-size"),
        // Only `train` has the key; distill stages always log.
        !p.ContainsKey("tensorboard") || p.GetBool("tensorboard"));
}
