using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`fitnet`: FitNet's hint (Romero et al. 2015), a regressor from the student's guided layer to the teacher's hint.</summary>
public sealed class FitnetMethod() : RepresentationMethod<FitnetParameters>("fitnet", revision: 1,
    "FitNet (Romero et al. 2015): mean squared error between the teacher's feature map at `point` and the student's, through a regressor (convolution, batch norm, ReLU) trained with the student; weight times that, plus ce-weight CE and kd-weight KD. As RepDistiller runs it (one stage, weight 100, stage2); the published two stages are `ce-weight: 0` (hints alone) and then a kd stage started from it (`inputs.init`). Needs a live teacher.")
{
    protected override IRepresentationTerm Term(FitnetParameters p) => new HintTerm(p.Point);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        HintRegressor.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: fitnet, ... }`: RepDistiller's weight 100 at the middle stage (its hint_layer 2).</summary>
public sealed record FitnetParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the hint term.", Min = 0)] double Weight = 100,
    [Key("point", "The stage whose output is the hint (teacher) and the guided layer (student).")] string Point = "stage2") : IRepresentationParameters;
