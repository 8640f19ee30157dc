using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>A teacher's outputs for the examples of a batch, on the batch's device: raw logits N x K (before any temperature) and the feature points asked for.</summary>
public interface ITeacherOutputs
{
    /// <summary>Which feature points this source can give besides the logits (a cache only what it stored).</summary>
    bool Offers(string point);

    ModelOutputs For(TrainingBatch batch, IReadOnlyCollection<string> points);
}

/// <summary>The teacher run on the fly on the student's exact inputs (eval mode, no gradients).</summary>
public sealed class LiveTeacher : ITeacherOutputs
{
    private readonly ClassifierNet _teacher;

    public LiveTeacher(ClassifierNet teacher)
    {
        _teacher = teacher;
        _teacher.eval();
    }

    public bool Offers(string point) => _teacher.FeaturePointNames.Contains(point);

    /// <remarks>no_grad rather than inference mode: losses multiply the teacher's outputs into the student's graph, which must save them for the backward pass.</remarks>
    public ModelOutputs For(TrainingBatch batch, IReadOnlyCollection<string> points)
    {
        using var noGrad = no_grad();
        return _teacher.Forward(batch.Inputs, points);
    }
}

/// <summary>
/// A student's loss from its outputs, the teacher's and the batch (labels, and the examples' rows for methods that
/// index a memory), batch mean. A loss names the feature points it reads beyond the logits.
/// </summary>
public interface IDistillationLoss
{
    IReadOnlyCollection<string> StudentPoints => ModelOutputs.LogitsOnly;

    IReadOnlyCollection<string> TeacherPoints => ModelOutputs.LogitsOnly;

    /// <summary>
    /// Trainable layers of the loss's own between the two models (FitNet's regressor), built by <see cref="Connect"/>;
    /// trained by the student's optimizer and saved in its checkpoints, but not part of the student. Null for most losses.
    /// </summary>
    nn.Module? Connector => null;

    /// <summary>Builds <see cref="Connector"/> for the two models and the training split described by <paramref name="context"/>.</summary>
    void Connect(ConnectorContext context) { }

    /// <summary>The part of <see cref="Connector"/> that trains alone before the student's first step (FT's paraphraser); null for most losses.</summary>
    IConnectorPretraining? Pretraining => null;

    /// <summary>
    /// The weight of the cross-entropy with the labels, H(y, p_s) on the raw logits, inside <see cref="Loss"/>: the task part
    /// that DOT (<see cref="DistillationOrientedOptimizer"/>) moves with its own momentum; the rest is the distillation part.
    /// </summary>
    double TaskWeight { get; }

    Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch);
}

/// <summary>
/// What a loss's connector is built for: the two models' feature shapes (C x H x W or D, without the batch), the
/// training split's labels in example order (CRD's memory holds one row per example and draws negatives of other
/// classes), and the seed its initial weights are drawn from.
/// </summary>
public sealed record ConnectorContext(IReadOnlyDictionary<string, long[]> Student, IReadOnlyDictionary<string, long[]> Teacher,
    IReadOnlyList<long> TrainingLabels, long Seed)
{
    /// <summary>The teacher's batch norm before a point's last ReLU (<see cref="ClassifierNet.NormBeforeActivation"/>; OFD's margins), null where it has none.</summary>
    public Func<string, TorchSharp.Modules.BatchNorm2d?> TeacherNorm { get; init; } = _ => null;
}

/// <summary>A loss of the two models' logits and the labels only.</summary>
public abstract class LogitDistillationLoss : IDistillationLoss
{
    /// <summary>
    /// Logit standardization (Sun et al., CVPR 2024): the distillation term reads each example's logits z-scored,
    /// teacher's and student's, before any temperature; the cross-entropy with the labels reads them as they are.
    /// </summary>
    public bool Standardized { get; init; }

    /// <summary>Trainable parts of the loss's own (CTKD's temperature); none for most logit methods.</summary>
    public virtual nn.Module? Connector => null;

    public abstract double TaskWeight { get; }

    public virtual void Connect(ConnectorContext context) { }

    public virtual Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch) => Loss(student.Logits, teacher.Logits, batch.Labels);

    public abstract Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels);

    /// <summary>The logits the distillation term reads: z-scored per example when <see cref="Standardized"/>, else the same tensor.</summary>
    protected Tensor TermLogits(Tensor logits) => Standardized ? LogitStandardization.Apply(logits) : logits;
}

/// <summary>
/// Which divergence between the teacher's and the student's softened distributions the soft term of `kd` minimises:
/// forward KL(p_t || p_s) (Hinton et al.; computed as the cross-entropy H(p_t, p_s), which differs by the teacher's
/// entropy and has the same gradients), reverse KL(p_s || p_t) (mode-seeking, as in MiniLLM and GKD), or the generalized
/// Jensen-Shannon divergence of GKD (Agarwal et al. 2024; TRL's generalized_jsd_loss) with the mixture
/// m = beta p_t + (1 - beta) p_s: beta KL(p_t || m) + (1 - beta) KL(p_s || m).
/// </summary>
public enum SoftTargetDivergence { ForwardKl, ReverseKl, Jsd }

/// <summary>The reverse KL and the generalized JSD of two batches of log-probabilities, batch means.</summary>
public static class Divergences
{
    public static Tensor Of(SoftTargetDivergence divergence, double beta, Tensor teacherLog, Tensor studentLog) => divergence switch
    {
        SoftTargetDivergence.ReverseKl => KullbackLeibler(studentLog, teacherLog),
        SoftTargetDivergence.Jsd => GeneralizedJensenShannon(beta, teacherLog, studentLog),
        _ => KullbackLeibler(teacherLog, studentLog),
    };

    /// <summary>KL(p || q) per example, summed over classes, averaged over the batch, from log p and log q.</summary>
    public static Tensor KullbackLeibler(Tensor logP, Tensor logQ) => logP.exp().mul(logP.sub(logQ)).sum(1).mean();

    private static Tensor GeneralizedJensenShannon(double beta, Tensor teacherLog, Tensor studentLog)
    {
        if (beta is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta), beta, "the JSD's beta lies strictly between 0 and 1");
        using var scope = NewDisposeScope();
        var mixture = stack([studentLog.add(Math.Log(1 - beta)), teacherLog.add(Math.Log(beta))]).logsumexp(0);
        return KullbackLeibler(teacherLog, mixture).mul(beta).add(KullbackLeibler(studentLog, mixture).mul(1 - beta)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Sun et al., "Logit Standardization in Knowledge Distillation" (CVPR 2024): (z - mean(z)) / (1e-7 + std(z)) over each
/// example's classes, std with Bessel's correction, as their code computes it (torch.std's default).
/// </summary>
public static class LogitStandardization
{
    public static Tensor Apply(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var centred = logits.sub(logits.mean([1], keepdim: true));
        return centred.div(logits.std(1, unbiased: true, keepdim: true).add(1e-7)).MoveToOuterDisposeScope();
    }
}

/// <summary>The student's training objective: a distillation loss against a teacher's outputs for the batch.</summary>
public sealed class DistillationObjective(ITeacherOutputs teacher, IDistillationLoss loss) : ITrainingObjective
{
    public IReadOnlyCollection<string> ModelPoints => loss.StudentPoints;

    public nn.Module? Connector => loss.Connector;

    public Tensor Loss(ModelOutputs model, TrainingBatch batch)
    {
        using var teacherOutputs = teacher.For(batch, loss.TeacherPoints);
        return loss.Loss(model, teacherOutputs, batch);
    }

    /// <summary>The task part is the loss's own weighted cross-entropy, recomputed; the distillation part is the loss less that.</summary>
    public LossParts Parts(ModelOutputs model, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var total = Loss(model, batch);
        var task = nn.functional.cross_entropy(model.Logits, batch.Labels).mul(loss.TaskWeight);
        return new LossParts(task.MoveToOuterDisposeScope(), total.sub(task).MoveToOuterDisposeScope());
    }
}

/// <summary>
/// Knowledge distillation, `loss: kd`: (1 - beta) * H(y, p_s) + beta * f * H(p_t(T), p_s(T_s)), with
/// p(T) = softmax(z / T) and f = T^2 when <c>tSquared</c>, else 1. The paper (Müller et al. 2019) reads the student
/// at T_s = 1 with beta = 1; Hinton et al. (2015) soften the student too (T_s = T) and multiply by T^2, which keeps
/// the soft term's gradient scale as T grows. At T_s = 1 the student's gradient is p_s - p_t(T), of the same scale
/// at every T; at T_s = T without T^2 it shrinks roughly as 1/T^2.
/// </summary>
public sealed class SoftTargetLoss(double temperature, double studentTemperature, double beta, bool tSquared) : LogitDistillationLoss
{
    /// <summary>The divergence of the soft term (<see cref="SoftTargetDivergence"/>); forward KL, Hinton's, by default.</summary>
    public SoftTargetDivergence Divergence { get; init; } = SoftTargetDivergence.ForwardKl;

    /// <summary>The generalized JSD's beta: the teacher's share of the mixture (TRL's GKD; 0.5 is the symmetric JSD).</summary>
    public double JsdBeta { get; init; } = 0.5;

    public override double TaskWeight => beta >= 1 ? 0 : 1 - beta;

    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var soft = Divergence == SoftTargetDivergence.ForwardKl
            ? SoftCrossEntropy(TermLogits(teacherLogits), temperature, TermLogits(studentLogits), studentTemperature)
            : Divergences.Of(Divergence, JsdBeta,
                nn.functional.log_softmax(TermLogits(teacherLogits).div(temperature), 1),
                nn.functional.log_softmax(TermLogits(studentLogits).div(studentTemperature), 1));
        if (tSquared) soft = soft.mul(temperature * temperature);
        var loss = beta >= 1 ? soft : soft.mul(beta).add_(nn.functional.cross_entropy(studentLogits, labels).mul(1 - beta));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>H(softmax(t / T), softmax(s / T_s)) averaged over the batch.</summary>
    public static Tensor SoftCrossEntropy(Tensor teacherLogits, double temperature, Tensor studentLogits, double studentTemperature)
    {
        using var scope = NewDisposeScope();
        var targets = nn.functional.softmax(teacherLogits.div(temperature), 1);
        var logProbabilities = nn.functional.log_softmax(studentTemperature == 1 ? studentLogits : studentLogits.div(studentTemperature), 1);
        return targets.mul(logProbabilities).sum(1).neg().mean().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Decoupled knowledge distillation (Zhao et al., CVPR 2022), `loss: dkd`. With p = softmax(z / T):
/// TCKD = KL(b_t || b_s) over the binary split (p of the true class, 1 - that), NCKD = KL(q_t || q_s) over
/// the non-target classes renormalised (softmax of z / T without the true class). Loss =
/// ceWeight * H(y, p_s(1)) + T^2 * (alpha * TCKD + beta * NCKD), batch means. The paper's linear warm-up
/// of the KD term is left out: the schedule belongs to the trainer, not to a loss of logits.
/// </summary>
public sealed class DecoupledLoss(double temperature, double alpha, double beta, double crossEntropyWeight) : LogitDistillationLoss
{
    public override double TaskWeight => crossEntropyWeight;

    public override Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var target = nn.functional.one_hot(labels, studentLogits.shape[1]).to(ScalarType.Bool);
        var student = TermLogits(studentLogits).div(temperature);
        var teacher = TermLogits(teacherLogits).div(temperature);

        // Binary split, in log space: log p_true and log(1 - p_true) = logsumexp over the other classes - logsumexp over all.
        var (studentTrue, studentOther) = BinaryLogProbabilities(student, target);
        var (teacherTrue, teacherOther) = BinaryLogProbabilities(teacher, target);
        var tckd = Divergences.KullbackLeibler(stack([teacherTrue, teacherOther], 1), stack([studentTrue, studentOther], 1));

        // Non-target classes only: the true class masked out before the softmax.
        var nckd = Divergences.KullbackLeibler(NonTargetLogProbabilities(teacher, target), NonTargetLogProbabilities(student, target));

        var kd = tckd.mul(alpha).add_(nckd.mul(beta)).mul_(temperature * temperature);
        var loss = crossEntropyWeight > 0 ? kd.add_(nn.functional.cross_entropy(studentLogits, labels).mul(crossEntropyWeight)) : kd;
        return loss.MoveToOuterDisposeScope();
    }

    private static (Tensor True, Tensor Other) BinaryLogProbabilities(Tensor logits, Tensor target)
    {
        var all = logits.logsumexp(1);
        var trueLogit = logits.masked_select(target);
        var others = logits.masked_fill(target, double.NegativeInfinity).logsumexp(1);
        return (trueLogit.sub(all), others.sub(all));
    }

    /// <summary>
    /// The true class pushed 10^4 below itself, as Zhao et al. do: its probability underflows to exactly 0
    /// while its log-probability stays finite, so no NaN reaches the KL sum or its gradient.
    /// </summary>
    private static Tensor NonTargetLogProbabilities(Tensor logits, Tensor target) =>
        nn.functional.log_softmax(logits.sub(target.to(logits.dtype).mul(1e4)), 1);
}
