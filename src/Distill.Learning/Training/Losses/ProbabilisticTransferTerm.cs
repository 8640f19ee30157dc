using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// PKT (Passalis and Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", ECCV 2018),
/// `loss: pkt`: each model's embeddings are L2-normalised (eps 1e-7), their cosine similarities mapped to [0, 1]
/// and normalised per row into conditional probabilities; the term is the mean of
/// p_t log((p_t + eps) / (p_s + eps)) over all pairs, as the authors' code computes it.
/// </summary>
public sealed class ProbabilisticTransferTerm(string point) : SinglePointTerm(point)
{
    private const double Eps = 1e-7;

    public override Tensor Loss(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        var s = Conditional(student.flatten(1));
        var t = Conditional(teacher.flatten(1));
        return t.mul(t.add(Eps).div(s.add(Eps)).log()).mean().MoveToOuterDisposeScope();
    }

    private static Tensor Conditional(Tensor e)
    {
        var unit = e.div(e.pow(2).sum(1, keepdim: true).sqrt().add(Eps));
        var similarity = unit.matmul(unit.t()).add(1).div(2);
        return similarity.div(similarity.sum(1, keepdim: true));
    }
}
