using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>A teacher's raw logits (before any temperature) for the examples of a batch, N x K, on the batch's device.</summary>
public interface ITeacherLogits
{
    Tensor For(TrainingBatch batch);
}

/// <summary>The teacher run on the fly on the student's exact inputs (eval mode, no gradients).</summary>
public sealed class LiveTeacher : ITeacherLogits
{
    private readonly ClassifierNet _teacher;

    public LiveTeacher(ClassifierNet teacher)
    {
        _teacher = teacher;
        _teacher.eval();
    }

    public Tensor For(TrainingBatch batch)
    {
        using var noGrad = no_grad();
        return _teacher.forward(batch.Inputs);
    }
}

/// <summary>
/// The student loss of knowledge distillation:
/// (1 - beta) * H(y, p_s) + beta * f * H(p_t(T), p_s(T)), with p(T) = softmax(z / T) and f = T^2 when
/// <c>tSquared</c> (Hinton et al.: keeps the soft term's gradient scale as T grows), else 1.
/// </summary>
public sealed class DistillationObjective(ITeacherLogits teacher, double temperature, double beta, bool tSquared) : ITrainingObjective
{
    public Tensor Loss(Tensor logits, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var teacherLogits = teacher.For(batch);
        var soft = SoftCrossEntropy(teacherLogits, logits, temperature);
        if (tSquared) soft = soft.mul(temperature * temperature);
        var loss = beta >= 1 ? soft : soft.mul(beta).add_(nn.functional.cross_entropy(logits, batch.Labels).mul(1 - beta));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>H(softmax(t / T), softmax(s / T)) averaged over the batch.</summary>
    public static Tensor SoftCrossEntropy(Tensor teacherLogits, Tensor studentLogits, double temperature)
    {
        using var scope = NewDisposeScope();
        var targets = nn.functional.softmax(teacherLogits.div(temperature), 1);
        var logProbabilities = nn.functional.log_softmax(studentLogits.div(temperature), 1);
        return targets.mul(logProbabilities).sum(1).neg().mean().MoveToOuterDisposeScope();
    }
}
