using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`fsp`: flow of solution procedure (Yim et al. 2017), Gram matrices between consecutive stages.</summary>
public sealed class FspMethod() : RepresentationMethod<FspParameters>("fsp", revision: 1,
    "FSP (Yim et al. 2017): for each pair of consecutive `points`, the flow-of-solution matrix (the mean over positions of one map's channels times the other's, the larger map pooled to the smaller's size), and the mean squared difference of the two models' matrices, summed; weight times that, plus ce-weight CE and kd-weight KD. As published it is a first stage alone (`ce-weight: 0`), then cross-entropy from its weights (a kd stage with `beta: 0` and `inputs.init`). Needs a live teacher and the same channels at every point in both models.")
{
    protected override IRepresentationTerm Term(FspParameters p) => new FlowOfSolutionTerm(p.Points);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        FlowOfSolutionTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: fsp, ... }`: RepDistiller's init stage (its feat[:-1], the sum of the pairs' losses, weight 1).</summary>
public sealed record FspParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the flow term.", Min = 0)] double Weight = 1,
    [Key("points", "The feature points, in order; each consecutive pair gives one matrix.", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2"], DefaultValues = ["stem", "stage1", "stage2", "stage3"], MinItems = 2)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
