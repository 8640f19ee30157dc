using Distill.Analysis.Information;

namespace Distill.Analysis.Tests;

public class SmoothnessIndexTests
{
    // Row 0: p = [1/2, 1/4, 1/4], label 0. Row 1: p = [1/4, 1/4, 1/2], label 1.
    private static readonly LogitMatrix HandLogits = new([Math.Log(2), 0, 0, 0, 0, Math.Log(2)], 3);
    private static readonly int[] HandLabels = [0, 1];

    [Fact]
    public void Matches_hand_computation_at_t_1()
    {
        // Off-true mass 1/2 and 3/4, mean 5/8, times K/(K-1) = 3/2.
        Assert.Equal(0.9375, SmoothnessIndex.FromLogits(HandLogits, HandLabels, 1.0), 14);
    }

    [Fact]
    public void Matches_hand_computation_at_t_2()
    {
        // At T = 2 the probabilities are proportional to sqrt of those at T = 1.
        double s = Math.Sqrt(2), total = s + 2;
        double row0 = 2 / total;        // 1 - sqrt(2)/total
        double row1 = (s + 1) / total;  // 1 - 1/total
        Assert.Equal((row0 + row1) / 2 * 1.5, SmoothnessIndex.FromLogits(HandLogits, HandLabels, 2.0), 14);
    }

    [Theory]
    [InlineData(0.1, 10)]
    [InlineData(0.45, 10)]
    [InlineData(0.75, 3)]
    [InlineData(0.3, 100)]
    public void Label_smoothed_targets_give_alpha(double alpha, int classes)
    {
        var rng = new Random(1);
        int[] labels = TestData.RandomLabels(rng, 25, classes);
        var targets = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
            for (int k = 0; k < classes; k++)
                targets[i * classes + k] = (1 - alpha) * (k == labels[i] ? 1 : 0) + alpha / classes;

        // The targets as a teacher's logits (log-probabilities) read at T = 1.
        var logits = new LogitMatrix(targets.Select(t => Math.Log(t)).ToArray(), classes);
        Assert.Equal(alpha, SmoothnessIndex.FromLogits(logits, labels, 1.0), 12);
    }

    [Fact]
    public void Temperature_softens_a_confident_teacher_towards_one()
    {
        var logits = new LogitMatrix([20, 0, 0, 0, 20, 0], 3);
        int[] labels = [0, 1];
        double cold = SmoothnessIndex.FromLogits(logits, labels, 1.0);
        double warm = SmoothnessIndex.FromLogits(logits, labels, 8.0);
        double hot = SmoothnessIndex.FromLogits(logits, labels, 1e6);
        Assert.InRange(cold, 1e-9, 1e-8);        // 1.5 * 2 e^-20 / (1 + 2 e^-20): tiny yet resolved, not rounded to 0
        Assert.True(warm > cold);
        Assert.Equal(1.0, hot, 4);
    }
}
