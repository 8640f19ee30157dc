using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// NST (Huang and Wang, "Like What You Like: Knowledge Distill via Neuron Selectivity Transfer", 2017), `loss: nst`,
/// as RepDistiller's NSTLoss computes it: at each feature point the larger map is average-pooled to the smaller's
/// size, each channel's map flattened and L2-normalised, and the term is the squared maximum mean discrepancy with the
/// polynomial kernel k(x, y) = (x.y)^2 between the teacher's channels and the student's: mean k(t, t) (no gradient)
/// + mean k(s, s) - 2 mean k(s, t), batch mean over examples and channel pairs; summed over the points.
/// </summary>
public sealed class NeuronSelectivityTerm(IReadOnlyList<string> points) : IRepresentationTerm
{
    public IReadOnlyList<string> Points { get; } = points;

    public Tensor Loss(Models.ModelOutputs student, Models.ModelOutputs teacher, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var total = Points.Select(p => Discrepancy(student[p], teacher[p])).Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>Why NST cannot compare maps of these C x H x W shapes; null when it can.</summary>
    public static string? Problem(long[] student, long[] teacher) => SquareMaps.Problem("NST", student, teacher);

    private static Tensor Discrepancy(Tensor student, Tensor teacher)
    {
        var (pooledStudent, pooledTeacher) = SquareMaps.AtCommonSize(student, teacher.detach());
        var s = Selectivity(pooledStudent);
        var t = Selectivity(pooledTeacher);
        return Kernel(t, t).mean().add(Kernel(s, s).mean()).sub(Kernel(s, t).mean().mul(2));
    }

    /// <summary>Each channel's map flattened and L2-normalised: N x C x HW.</summary>
    private static Tensor Selectivity(Tensor map) => nn.functional.normalize(map.flatten(2), p: 2, dim: 2);

    /// <summary>(b_i . a_j)^2 for every example and pair of channels: N x C_b x C_a.</summary>
    private static Tensor Kernel(Tensor a, Tensor b) => b.bmm(a.transpose(1, 2)).square();
}
