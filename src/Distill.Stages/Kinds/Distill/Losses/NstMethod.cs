using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`nst`: neuron selectivity transfer (Huang and Wang 2017), between stage outputs, the larger pooled to the smaller.</summary>
public sealed class NstMethod() : RepresentationMethod<NstParameters>("nst", revision: 1,
    "NST (Huang and Wang 2017): the squared maximum mean discrepancy, with the polynomial kernel (x.y)^2, between the teacher's and the student's channels (each channel's map flattened and L2-normalised, the larger map average-pooled to the smaller's size) at each of `points`, summed; weight times that, plus ce-weight CE and kd-weight KD. Needs a live teacher and square feature maps.")
{
    protected override IRepresentationTerm Term(NstParameters p) => new NeuronSelectivityTerm(p.Points);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        NeuronSelectivityTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: nst, ... }`: RepDistiller's weight 50 over the three stages (its feat[1:-1]).</summary>
public sealed record NstParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the selectivity term.", Min = 0)] double Weight = 50,
    [Key("points", "The stage outputs compared.", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
