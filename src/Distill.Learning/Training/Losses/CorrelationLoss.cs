using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022), `loss: dist`. With
/// p = softmax(z / T) per example: inter = 1 - mean over examples of the Pearson correlation between p_s and p_t
/// across classes; intra = the same across examples, per class. Loss = T^2 (beta inter + gamma intra), plus
/// ceWeight times the cross-entropy with the labels. Pearson's r as the authors compute it: the cosine of the
/// centred vectors with 1e-8 added to the product of norms.
/// </summary>
public sealed class CorrelationLoss(double temperature, double beta, double gamma, double crossEntropyWeight) : LogitDistillationLoss
{
    public override double TaskWeight => crossEntropyWeight;

    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var student = nn.functional.softmax(TermLogits(studentLogits).div(temperature), 1);
        var teacher = nn.functional.softmax(TermLogits(teacherLogits).div(temperature), 1);
        var inter = Pearson(student, teacher).mean().neg().add(1);
        var intra = Pearson(student.t(), teacher.t()).mean().neg().add(1);
        var loss = inter.mul(beta).add(intra.mul(gamma)).mul(temperature * temperature);
        if (crossEntropyWeight > 0) loss = loss.add(nn.functional.cross_entropy(studentLogits, labels).mul(crossEntropyWeight));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Row-wise Pearson correlation of two N x K matrices.</summary>
    private static Tensor Pearson(Tensor a, Tensor b)
    {
        var ca = a.sub(a.mean([1], keepdim: true));
        var cb = b.sub(b.mean([1], keepdim: true));
        return ca.mul(cb).sum(1).div(ca.norm(1).mul(cb.norm(1)).add(1e-8));
    }
}
