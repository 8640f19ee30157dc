using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Cross-entropy against label-smoothed targets, as the paper defines them:
/// y_k = (1 - alpha) * 1[k == y] + alpha / K (alpha spread over all K classes, PyTorch's convention).
/// </summary>
public static class LabelSmoothing
{
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, double alpha)
    {
        if (alpha < 0 || alpha >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1)");
        using var scope = NewDisposeScope();
        long classes = logits.shape[1];
        var logProbabilities = nn.functional.log_softmax(logits, 1);
        var trueTerm = -logProbabilities.gather(1, labels.unsqueeze(1)).squeeze(1);
        var loss = alpha == 0
            ? trueTerm
            : trueTerm.mul(1 - alpha).add_(logProbabilities.sum(1).neg_().mul_(alpha / classes));
        return loss.mean().MoveToOuterDisposeScope();
    }
}
