using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// SP (Tung and Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019), `loss: sp`: each model's
/// activations flattened per example, their batch Gram matrix G = A A^T normalised row by row (L2), and the term is
/// ||G_t - G_s||_F^2 / b^2 for a batch of b.
/// </summary>
public sealed class SimilarityPreservingTerm(string point) : SinglePointTerm(point)
{
    public override Tensor Loss(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        long b = student.shape[0];
        var difference = Gram(teacher).sub(Gram(student));
        return difference.pow(2).sum().div(b * b).MoveToOuterDisposeScope();
    }

    private static Tensor Gram(Tensor activations)
    {
        var a = activations.flatten(1);
        return nn.functional.normalize(a.matmul(a.t()), p: 2, dim: 1);
    }
}
