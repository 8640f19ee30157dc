using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Training;

/// <summary>
/// CRD's trainable and remembered state (Tian et al., "Contrastive Representation Distillation", ICLR 2020): a linear
/// head per model onto a common unit sphere of <c>dimension</c> (128), a memory of every training example's past
/// student and teacher embeddings (N x dimension each, drawn uniformly in +-1/sqrt(dimension / 3), then replaced by
/// momentum updates), and the two normalising constants Z, fixed at the first batch as mean(exp(score / T)) x N.
/// Memories and constants are buffers, so a checkpoint holds them and a resumed run continues from them exactly.
/// </summary>
public sealed class ContrastMemory : Module
{
    private const string StudentMemory = "memory_student", TeacherMemory = "memory_teacher", Normalisers = "normalisers";

    private readonly Linear embed_student;
    private readonly Linear embed_teacher;
    private readonly double _temperature;
    private readonly double _momentum;

    /// <summary>Reports the constants when they are set (CRD prints them; a stage logs them).</summary>
    public Action<double, double>? NormalisersSet { get; set; }

    public ContrastMemory(long studentFeatures, long teacherFeatures, long examples, long dimension, double temperature, double momentum)
        : base(nameof(ContrastMemory))
    {
        embed_student = Linear(studentFeatures, dimension);
        embed_teacher = Linear(teacherFeatures, dimension);
        _temperature = temperature;
        _momentum = momentum;
        double bound = 1 / Math.Sqrt(dimension / 3.0);
        register_buffer(StudentMemory, rand(examples, dimension).mul_(2 * bound).add_(-bound));
        register_buffer(TeacherMemory, rand(examples, dimension).mul_(2 * bound).add_(-bound));
        register_buffer(Normalisers, full(2, -1.0));
        RegisterComponents();
    }

    /// <summary>
    /// The two-sided contrastive loss of a batch: each model's embedding scored against the other model's memory rows
    /// at <paramref name="contrast"/> (B x (K + 1): the example itself, then its K negatives), each side's NCE loss
    /// summed; then each example's memory rows move towards its new embeddings. <paramref name="examples"/> are the
    /// batch's dataset indices.
    /// </summary>
    public Tensor Loss(Tensor student, Tensor teacher, Tensor examples, Tensor contrast)
    {
        using var scope = NewDisposeScope();
        var memoryStudent = get_buffer(StudentMemory)!;
        var memoryTeacher = get_buffer(TeacherMemory)!;
        var s = UnitEmbedding(embed_student, student.to(memoryStudent.dtype));
        var t = UnitEmbedding(embed_teacher, teacher.to(memoryStudent.dtype));

        // Teacher-anchored scores against the student's memory, and student-anchored against the teacher's.
        var teacherScores = Scores(memoryStudent, contrast, t);
        var studentScores = Scores(memoryTeacher, contrast, s);
        long n = memoryStudent.shape[0];
        var normalisers = SetNormalisersOnce(studentScores, teacherScores, n);
        var loss = NoiseContrastive(studentScores.div(normalisers[0]), n).add(NoiseContrastive(teacherScores.div(normalisers[1]), n));

        using (no_grad())
        {
            Update(memoryStudent, examples, s);
            Update(memoryTeacher, examples, t);
        }
        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor UnitEmbedding(Linear head, Tensor features)
    {
        var e = head.call(features.flatten(1));
        return e.div(e.pow(2).sum(1, keepdim: true).sqrt());
    }

    /// <summary>exp(m_j . v / T) for the memory rows j of each example's contrast set: B x (K + 1).</summary>
    private Tensor Scores(Tensor memory, Tensor contrast, Tensor v)
    {
        var (batch, width) = (contrast.shape[0], contrast.shape[1]);
        var rows = memory.index_select(0, contrast.view(-1)).view(batch, width, memory.shape[1]);
        return bmm(rows, v.unsqueeze(2)).squeeze(2).div(_temperature).exp();
    }

    /// <summary>Z for the student side and the teacher side, set from the first batch they see and fixed after.</summary>
    private Tensor SetNormalisersOnce(Tensor studentScores, Tensor teacherScores, long examples)
    {
        var normalisers = get_buffer(Normalisers)!;
        if (normalisers[0].ToDouble() < 0)
        {
            using (no_grad())
            {
                normalisers[0] = studentScores.mean().mul(examples);
                normalisers[1] = teacherScores.mean().mul(examples);
            }
            NormalisersSet?.Invoke(normalisers[0].ToDouble(), normalisers[1].ToDouble());
        }
        return normalisers;
    }

    /// <summary>
    /// The NCE loss of CRD's eq. 18 with noise P_n = 1/N: -(sum_b log(P_b0 / (P_b0 + K P_n + eps)) +
    /// sum_bk log(K P_n / (P_bk + K P_n + eps))) / B, eps = 1e-7 as published.
    /// </summary>
    private static Tensor NoiseContrastive(Tensor p, long examples)
    {
        const double Eps = 1e-7;
        long negatives = p.shape[1] - 1;
        double noise = negatives / (double)examples;
        var positive = p.select(1, 0);
        var negative = p.narrow(1, 1, negatives);
        var logPositive = positive.div(positive.add(noise + Eps)).log().sum();
        var logNegative = negative.add(noise + Eps).reciprocal().mul(noise).log().sum();
        return logPositive.add(logNegative).neg().div(p.shape[0]);
    }

    /// <summary>Each example's row becomes the unit vector of momentum x row + (1 - momentum) x its new embedding.</summary>
    private void Update(Tensor memory, Tensor examples, Tensor embedding)
    {
        var mixed = memory.index_select(0, examples).mul(_momentum).add(embedding.detach().mul(1 - _momentum));
        memory.index_copy_(0, examples, mixed.div(mixed.pow(2).sum(1, keepdim: true).sqrt()));
    }
}
