using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Multi-level logit distillation (Jin, Wang and Lin, CVPR 2023), `loss: mlkd`, as the authors' KD_ours computes it
/// with its weak and strong views the same batch (Distill draws one augmented view per step). At each temperature
/// T of the list, with p = softmax(z / T):
/// instance level KD_T = T^2 KL(p_t || p_s) (batch mean), batch level BC_T = sum((P_t P_t' - P_s P_s')^2) / N,
/// class level CC_T = sum((P_t' P_t - P_s' P_s)^2) / K. Their code multiplies each already-reduced weak-view term by
/// a confidence mask and takes the mean, so the mask scales it by a fraction: m, the share of examples whose teacher
/// confidence (max softmax at T = 1) is at most the batch's median, for KD and BC; c, the share of classes whose summed
/// teacher probability is at most the classes' median, for CC. The strong view adds KD_T unmasked, and a second
/// cross-entropy. Loss = 2 ceWeight CE + weight sum over T of ((1 + m) KD_T + m BC_T + c CC_T). With logit
/// standardization only the KD terms read z-scored logits, as Sun et al.'s MLKD does.
/// </summary>
public sealed class MultiLevelLoss(IReadOnlyList<double> temperatures, double weight, double crossEntropyWeight) : LogitDistillationLoss
{
    public override double TaskWeight => 2 * crossEntropyWeight;

    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var (examples, classes) = ConfidenceShares(teacherLogits);
        var studentTerm = TermLogits(studentLogits);
        var teacherTerm = TermLogits(teacherLogits);
        Tensor? sum = null;
        foreach (double temperature in temperatures)
        {
            var instance = Divergences.KullbackLeibler(
                nn.functional.log_softmax(teacherTerm.div(temperature), 1), nn.functional.log_softmax(studentTerm.div(temperature), 1))
                .mul(temperature * temperature);
            var student = nn.functional.softmax(studentLogits.div(temperature), 1);
            var teacher = nn.functional.softmax(teacherLogits.div(temperature), 1);
            var batch = Consistency(teacher.mm(teacher.t()), student.mm(student.t()));
            var classLevel = Consistency(teacher.t().mm(teacher), student.t().mm(student));
            var level = instance.mul(1 + examples).add(batch.mul(examples)).add(classLevel.mul(classes));
            sum = sum is null ? level : sum.add(level);
        }
        var loss = sum!.mul(weight);
        if (crossEntropyWeight > 0) loss = loss.add(nn.functional.cross_entropy(studentLogits, labels).mul(2 * crossEntropyWeight));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>sum((a - b)^2) / (rows of a): BC's N x N Gram matrices over N, CC's K x K over K.</summary>
    private static Tensor Consistency(Tensor teacher, Tensor student) => teacher.sub(student).square().sum().div(teacher.shape[0]);

    /// <summary>
    /// The shares m (examples) and c (classes) whose teacher confidence is at most the median: numpy's 50th percentile,
    /// the midpoint of the two middle values when the count is even. Raw logits at T = 1, as the authors compute them.
    /// </summary>
    public static (double Examples, double Classes) ConfidenceShares(Tensor teacherLogits)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = nn.functional.softmax(teacherLogits.detach().to(ScalarType.Float64), 1);
        return (AtMostMedian(probabilities.amax(1)), AtMostMedian(probabilities.sum(dim: 0)));
    }

    private static double AtMostMedian(Tensor values)
    {
        double[] sorted = [.. values.cpu().data<double>().ToArray().Order()];
        double position = (sorted.Length - 1) * 0.5;
        int below = (int)Math.Floor(position);
        var (low, high, t) = (sorted[below], sorted[Math.Min(below + 1, sorted.Length - 1)], position - below);
        // numpy's lerp, which interpolates from the upper value when t >= 0.5, so the midpoint rounds as theirs does.
        double median = t >= 0.5 ? high - (high - low) * (1 - t) : low + (high - low) * t;
        return sorted.Count(v => v <= median) / (double)sorted.Length;
    }
}
