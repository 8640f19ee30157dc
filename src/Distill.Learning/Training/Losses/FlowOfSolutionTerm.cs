using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
/// Learning", CVPR 2017), `loss: fsp`, as RepDistiller's FSP computes it: for each pair of consecutive feature points
/// (the larger map average-pooled to the smaller's size) the flow-of-solution matrix G[i, j] = mean over positions of
/// top_i * bottom_j (C_top x C_bottom per example), and the term is the mean squared difference of the two models'
/// matrices, summed over the pairs. Both models need the same channels at every point.
/// </summary>
public sealed class FlowOfSolutionTerm(IReadOnlyList<string> points) : IRepresentationTerm
{
    public IReadOnlyList<string> Points { get; } = points;

    public Tensor Loss(Models.ModelOutputs student, Models.ModelOutputs teacher, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var total = Enumerable.Range(0, Points.Count - 1)
            .Select(i => Flow(student[Points[i]], student[Points[i + 1]]).sub(Flow(teacher[Points[i]].detach(), teacher[Points[i + 1]].detach())).square().mean())
            .Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>Why FSP cannot compare maps of these C x H x W shapes at one point; null when it can.</summary>
    public static string? Problem(long[] student, long[] teacher) =>
        SquareMaps.Problem("FSP", student, teacher)
        ?? (student[0] != teacher[0] ? $"FSP needs the same channels in both models, and the student has {student[0]} where the teacher has {teacher[0]}" : null);

    /// <summary>The N x C_top x C_bottom flow of solution between two maps, the larger pooled to the smaller's size.</summary>
    private static Tensor Flow(Tensor bottom, Tensor top)
    {
        var (pooledBottom, pooledTop) = SquareMaps.AtCommonSize(bottom, top);
        var b = pooledBottom.flatten(2);
        return pooledTop.flatten(2).bmm(b.transpose(1, 2)).div(b.shape[2]);
    }
}
