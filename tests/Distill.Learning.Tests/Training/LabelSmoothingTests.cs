using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

public class LabelSmoothingTests
{
    [Fact]
    public void MatchesAHandComputedValue()
    {
        // Logits (1, 2, 3), true class 2, alpha 0.3, K = 3: targets (0.1, 0.1, 0.8).
        // log-softmax = z - log(e + e^2 + e^3); loss = -sum_k y_k log p_k.
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        double expected = -(0.1 * (1 - lse) + 0.1 * (2 - lse) + 0.8 * (3 - lse));
        using var logits = tensor(new float[] { 1, 2, 3 }).view(1, 3);
        using var labels = tensor(new long[] { 2 });
        using var loss = LabelSmoothing.CrossEntropy(logits, labels, 0.3);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void AgreesWithLibTorchsLabelSmoothingArgument()
    {
        manual_seed(3);
        using var logits = randn(16, 10);
        using var labels = randint(0, 10, [16]);
        using var ours = LabelSmoothing.CrossEntropy(logits, labels, 0.1);
        using var theirs = nn.functional.cross_entropy(logits, labels, label_smoothing: 0.1);
        Assert.Equal(theirs.item<float>(), ours.item<float>(), 5);
    }

    [Fact]
    public void AlphaOutsideRangeIsRefused()
    {
        using var logits = zeros(1, 3);
        using var labels = tensor(new long[] { 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelSmoothing.CrossEntropy(logits, labels, 1.0));
    }
}
