using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`vid`: variational information distillation (Ahn et al. 2019), a Gaussian regressor per stage.</summary>
public sealed class VidMethod() : RepresentationMethod<VidParameters>("vid", revision: 1,
    "VID (Ahn et al. 2019): at each of `points`, the negative log-likelihood of the teacher's map under a Gaussian whose mean a regressor (three 1x1 convolutions) predicts from the student's map and whose per-channel variance is learned, starting at `initial-variance` (the larger map pooled to the smaller's size); summed; weight times that, plus ce-weight CE and kd-weight KD. Regressors and variances train with the student and are checkpointed. Needs a live teacher and square feature maps.")
{
    protected override IRepresentationTerm Term(VidParameters p) => new VariationalInformationTerm(p.Points, p.InitialVariance);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        VariationalInformationTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: vid, ... }`: RepDistiller's published command (-b 1, its feat[1:-1], init_pred_var 5).</summary>
public sealed record VidParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the likelihood term.", Min = 0)] double Weight = 1,
    [Key("initial-variance", "The variance every channel's Gaussian starts at.", Min = 0, ExclusiveMin = true)] double InitialVariance = 5,
    [Key("points", "The stage outputs compared.", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
