using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Weighted transformed teacher matching (Zheng and Yang, "Knowledge Distillation Based on Transformed Teacher
/// Matching", ICLR 2024), `loss: wttm`. The teacher's probabilities raised to the power gamma and renormalised,
/// q = p_t^gamma / U with U = sum over classes of p_t^gamma; the student read at T = 1. Loss =
/// weight * mean over examples of U * KL(q || p_s), plus ceWeight times the cross-entropy with the labels. U is
/// large where the teacher is smooth, so those examples weigh more; gamma = 1 / T turns the power into a temperature.
/// As the authors' WTTM module computes it, in log space here: log q = gamma log p_t - log U.
/// </summary>
public sealed class TransformedTeacherLoss(double power, double weight, double crossEntropyWeight) : LogitDistillationLoss
{
    public override double TaskWeight => crossEntropyWeight;

    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var powered = nn.functional.log_softmax(TermLogits(teacherLogits), 1).mul(power);
        var logNorm = powered.logsumexp(1, keepdim: true);
        var transformed = powered.sub(logNorm);
        var student = nn.functional.log_softmax(TermLogits(studentLogits), 1);
        var divergence = transformed.exp().mul(transformed.sub(student)).sum(1);
        var loss = logNorm.squeeze(1).exp().mul(divergence).mean().mul(weight);
        if (crossEntropyWeight > 0) loss = loss.add(nn.functional.cross_entropy(studentLogits, labels).mul(crossEntropyWeight));
        return loss.MoveToOuterDisposeScope();
    }
}
