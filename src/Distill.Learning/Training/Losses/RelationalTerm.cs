using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// RKD (Park et al., "Relational Knowledge Distillation", CVPR 2019), `loss: rkd`: distanceWeight times the Huber
/// (smooth L1) loss between the two models' pairwise distances, each divided by its mean over distinct pairs, plus
/// angleWeight times the Huber loss between the cosines of the angles every triplet makes. The teacher's side carries
/// no gradient. Distances as the authors compute them: squared norms expanded, clamped at 1e-12, square-rooted, with
/// a zero diagonal.
/// </summary>
public sealed class RelationalTerm(string point, double distanceWeight, double angleWeight) : SinglePointTerm(point)
{
    public override Tensor Loss(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        var s = student.flatten(1);
        var t = teacher.flatten(1).detach();
        var distance = nn.functional.smooth_l1_loss(NormalisedDistances(s), NormalisedDistances(t));
        var angle = nn.functional.smooth_l1_loss(Angles(s), Angles(t));
        return distance.mul(distanceWeight).add(angle.mul(angleWeight)).MoveToOuterDisposeScope();
    }

    private static Tensor NormalisedDistances(Tensor e)
    {
        var squares = e.pow(2).sum(1);
        var distances = squares.unsqueeze(1).add(squares.unsqueeze(0)).sub(e.matmul(e.t()).mul(2)).clamp_min(1e-12).sqrt();
        distances = distances.mul(ones_like(distances).sub(eye(e.shape[0], dtype: e.dtype, device: e.device)));
        var mean = distances.masked_select(distances.gt(0)).mean();
        return distances.div(mean);
    }

    private static Tensor Angles(Tensor e)
    {
        var differences = nn.functional.normalize(e.unsqueeze(0).sub(e.unsqueeze(1)), p: 2, dim: 2);
        return differences.bmm(differences.transpose(1, 2)).flatten();
    }
}
