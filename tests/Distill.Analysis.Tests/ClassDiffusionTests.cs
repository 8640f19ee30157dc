using Distill.Analysis.Geometry;

namespace Distill.Analysis.Tests;

/// <summary>
/// The compatibility study's diffusion on constructed activations: class a's rows are its mean plus and minus a spread s_j
/// along each axis j, so S_a is diagonal with entries proportional to s_j^2 and eta_ab = s_u^2 / (sum s_j^2 / d) exactly
/// when class b lies along axis u.
/// </summary>
public sealed class ClassDiffusionTests
{
    private const int Dimension = 4;

    /// <summary>Rows of class 0 at the origin with spreads <paramref name="spreadA"/>, class 1 at (10, 0, 0, 0) (or <paramref name="centreB"/>) with <paramref name="spreadB"/>.</summary>
    private static (float[] Features, int[] Labels) Classes(double[] spreadA, double[] spreadB, double[]? centreB = null) =>
        Build([([0, 0, 0, 0], spreadA), (centreB ?? [10, 0, 0, 0], spreadB)]);

    /// <summary>Class k: its centre plus and minus its spread along each axis.</summary>
    private static (float[] Features, int[] Labels) Build(IReadOnlyList<(double[] Centre, double[] Spread)> classes)
    {
        var rows = new List<float>();
        var labels = new List<int>();
        for (int label = 0; label < classes.Count; label++)
        {
            var (centre, spread) = classes[label];
            for (int j = 0; j < Dimension; j++)
                foreach (var sign in new[] { 1.0, -1.0 })
                {
                    rows.AddRange(Enumerable.Range(0, Dimension).Select(k => (float)(centre[k] + (k == j ? sign * spread[j] : 0))));
                    labels.Add(label);
                }
        }
        return (rows.ToArray(), labels.ToArray());
    }

    [Fact]
    public void A_class_spread_toward_the_other_has_eta_above_one()
    {
        var (features, labels) = Classes([3, 1, 1, 1], [1, 1, 1, 1]);

        Assert.Equal(9.0 / (12.0 / 4), ClassDiffusion.Toward(features, Dimension, labels, 0, 1), 10);
        Assert.Equal(1.0, ClassDiffusion.Toward(features, Dimension, labels, 1, 0), 10);
        Assert.Equal((3.0 + 1.0) / 2, ClassDiffusion.Pair(features, Dimension, labels, 0, 1), 10);
    }

    [Fact]
    public void A_class_spread_across_the_direction_has_eta_below_one()
    {
        var (features, labels) = Classes([1, 3, 1, 1], [1, 1, 1, 1]);

        Assert.Equal(1.0 / (12.0 / 4), ClassDiffusion.Toward(features, Dimension, labels, 0, 1), 10);
    }

    [Fact]
    public void Equal_spread_in_every_direction_is_one_whatever_its_size_and_the_direction_to_the_other_class()
    {
        var (features, labels) = Classes([2, 2, 2, 2], [0.5, 0.5, 0.5, 0.5], centreB: [3, -4, 0, 0]);

        Assert.Equal(1.0, ClassDiffusion.Toward(features, Dimension, labels, 0, 1), 10);
        Assert.Equal(1.0, ClassDiffusion.Pair(features, Dimension, labels, 0, 1), 10);
    }

    [Fact]
    public void Spread_toward_an_oblique_class_counts_only_its_projection()
    {
        // b at (3, 4, 0, 0): u = (0.6, 0.8, 0, 0); u' S u / (trace / d) = (0.36 * 9 + 0.64 * 1) / (12 / 4).
        var (features, labels) = Classes([3, 1, 1, 1], [1, 1, 1, 1], centreB: [3, 4, 0, 0]);

        Assert.Equal((0.36 * 9 + 0.64) / 3, ClassDiffusion.Toward(features, Dimension, labels, 0, 1), 10);
    }

    [Fact]
    public void The_mean_over_pairs_averages_each_pairs_diffusion()
    {
        // Class 0 spreads along axis 0, toward class 1 and across the direction to class 2 (on axis 1).
        double[] equal = [1, 1, 1, 1];
        var (features, labels) = Build([([0, 0, 0, 0], [3, 1, 1, 1]), ([10, 0, 0, 0], equal), ([0, 20, 0, 0], equal)]);

        Assert.Equal((3.0 + 1.0) / 2, ClassDiffusion.Pair(features, Dimension, labels, 0, 1), 10);
        Assert.Equal((1.0 / 3 + 1.0) / 2, ClassDiffusion.Pair(features, Dimension, labels, 0, 2), 10);
        var (perPair, mean) = ClassDiffusion.Mean(features, Dimension, labels, [(0, 1), (0, 2)]);
        Assert.Equal(((3.0 + 1.0) / 2 + (1.0 / 3 + 1.0) / 2) / 2, mean, 10);
        Assert.Equal(2, perPair.Count);
        Assert.Equal((3.0 + 1.0) / 2, perPair[0], 10);
        Assert.Equal((1.0 / 3 + 1.0) / 2, perPair[1], 10);
    }

    [Fact]
    public void Too_few_examples_or_a_shape_that_does_not_fit_are_refused()
    {
        var (features, labels) = Classes([1, 1, 1, 1], [1, 1, 1, 1]);

        Assert.Throws<ArgumentException>(() => ClassDiffusion.Toward(features, Dimension, labels, 0, 5));
        Assert.Throws<ArgumentException>(() => ClassDiffusion.Toward(features, Dimension + 1, labels, 0, 1));
        Assert.Throws<ArgumentException>(() => ClassDiffusion.Mean(features, Dimension, labels, []));
    }
}
