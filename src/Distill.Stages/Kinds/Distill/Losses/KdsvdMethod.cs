using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`kdsvd`: self-supervised distillation by singular value decomposition (Lee et al. 2018), kernels between consecutive stages.</summary>
public sealed class KdsvdMethod() : RepresentationMethod<KdsvdParameters>("kdsvd", revision: 2,
    "KDSVD (Lee et al. 2018): each map of `points` read as a (H·W) x C matrix per example gives its top `vectors` right singular vectors over the channels (the student's 3 more, each aligned to the teacher vector it is closest to, sign included), scaled by the teacher's normalised singular values; between consecutive points the RBF kernels exp(-(a - b)^2 / 8) over every pair of channels are compared, squared differences summed per example, summed over the pairs; weight times that, plus ce-weight CE and kd-weight KD. The teacher's vectors are signed so that their largest entry is positive (LAPACK's sign differs between builds); a singular vector's gradient leaves out couplings of equal singular values. Needs a live teacher and the same channels at every point in both models.")
{
    protected override IRepresentationTerm Term(KdsvdParameters p) => new SingularVectorTerm(p.Points, p.Vectors);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        SingularVectorTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: kdsvd, ... }`: mdistiller's CIFAR-100 KDSVD config (K 1, feature weight 1, CE 1, its feats[1:]).</summary>
public sealed record KdsvdParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the kernel term.", Min = 0)] double Weight = 1,
    [Key("vectors", "Singular vectors of the teacher's per point (mdistiller's K); the student's are 3 more.", Min = 1)] int Vectors = 1,
    [Key("points", "The stage outputs, in order; each consecutive pair gives one comparison of kernels (mdistiller: a ResNet's three stages, a VGG's stages 2 to 5).", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 2)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
