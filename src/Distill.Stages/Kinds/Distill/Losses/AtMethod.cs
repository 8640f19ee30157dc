using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`at`: attention transfer (Zagoruyko and Komodakis 2017), between stage outputs of equal spatial size.</summary>
public sealed class AtMethod() : RepresentationMethod<AtParameters>("at", revision: 1,
    "AT (Zagoruyko and Komodakis 2017): mean squared difference of the two models' L2-normalised attention maps (channel mean of activations^p) at each of `points`, summed; weight times that, plus ce-weight CE and kd-weight KD. Needs a live teacher, and the same spatial size at each point in both models.")
{
    protected override IRepresentationTerm Term(AtParameters p) => new AttentionTransferTerm(p.Points, p.Power);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        student.Length == 3 && teacher.Length == 3 && student[1] == teacher[1] && student[2] == teacher[2] ? null
        : $"'{point}' is {Describe(student)} in the student and {Describe(teacher)} in the teacher; attention transfer needs feature maps of the same height and width";

    private static string Describe(long[] shape) => shape.Length == 3 ? $"{shape[1]}x{shape[2]} ({shape[0]} channels)" : $"a vector of {shape[0]}";
}

/// <summary>`loss: { name: at, ... }`: RepDistiller's weight 1000 and p = 2 over the three stages.</summary>
public sealed record AtParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the attention term.", Min = 0)] double Weight = 1000,
    [Key("power", "p: attention is the channel mean of activation^p.", Min = 0, ExclusiveMin = true)] double Power = 2,
    [Key("points", "The stage outputs compared.", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
