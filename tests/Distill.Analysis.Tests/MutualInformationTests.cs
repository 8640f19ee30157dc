using Distill.Analysis.Information;

namespace Distill.Analysis.Tests;

public class MutualInformationTests
{
    /// <summary>
    /// Independent reference: I = mean over (x, l) of log[ N(y; mu_x, s2) / ((1/N) sum_x' N(y; mu_x', s2)) ]
    /// with full Gaussian densities and no log-sum-exp (fine for moderate inputs).
    /// </summary>
    private static double Reference(double[,] y)
    {
        int n = y.GetLength(0), l = y.GetLength(1);
        var mu = new double[n];
        for (int x = 0; x < n; x++)
            mu[x] = Enumerable.Range(0, l).Average(j => y[x, j]);
        double s2 = 0;
        for (int x = 0; x < n; x++)
            for (int j = 0; j < l; j++)
                s2 += Math.Pow(y[x, j] - mu[x], 2) / (n * l);
        double Density(double v, double m) => Math.Exp(-(v - m) * (v - m) / (2 * s2)) / Math.Sqrt(2 * Math.PI * s2);

        double total = 0;
        for (int x = 0; x < n; x++)
        {
            for (int j = 0; j < l; j++)
            {
                double marginal = mu.Average(m => Density(y[x, j], m));
                total += Math.Log(Density(y[x, j], mu[x]) / marginal);
            }
        }
        return total / (n * l);
    }

    private static double[,] Random(int seed, int n, int l, double spread, double noise)
    {
        var rng = new Random(seed);
        var y = new double[n, l];
        for (int x = 0; x < n; x++)
        {
            double centre = spread * TestData.Gaussian(rng);
            for (int j = 0; j < l; j++)
                y[x, j] = centre + noise * TestData.Gaussian(rng);
        }
        return y;
    }

    [Fact]
    public void Identical_examples_carry_no_information()
    {
        // Every example sees the same augmentation pattern: Y says nothing about X.
        double[] pattern = [0.3, -1.2, 0.7, 2.0, -0.1];
        var y = new double[50, pattern.Length];
        for (int x = 0; x < 50; x++)
            for (int j = 0; j < pattern.Length; j++)
                y[x, j] = 4.0 + pattern[j];

        MutualInformationEstimate estimate = MutualInformation.Estimate(y);
        Assert.Equal(0.0, estimate.Value, 6);
        Assert.Equal(Math.Log(50), estimate.UpperBound, 12);
        Assert.True(estimate.SharedVariance > 0);
    }

    [Fact]
    public void Well_separated_examples_reach_log_n()
    {
        var rng = new Random(3);
        var y = new double[40, 5];
        for (int x = 0; x < 40; x++)
            for (int j = 0; j < 5; j++)
                y[x, j] = 10.0 * x + 1e-3 * TestData.Gaussian(rng);

        MutualInformationEstimate estimate = MutualInformation.Estimate(y);
        Assert.InRange(estimate.Value, Math.Log(40) - 1e-3, Math.Log(40));
    }

    [Fact]
    public void Two_separated_classes_of_indistinguishable_examples_give_log_2()
    {
        // The paper's late-training picture for a smoothed teacher: classes apart, examples within a class alike.
        // Each example gets its own noise, centred so all examples of a class share one mean.
        var rng = new Random(4);
        var y = new double[60, 5];
        for (int x = 0; x < 60; x++)
        {
            double[] noise = Enumerable.Range(0, 5).Select(_ => TestData.Gaussian(rng)).ToArray();
            double mean = noise.Average();
            for (int j = 0; j < 5; j++)
                y[x, j] = (x < 30 ? -20.0 : 20.0) + noise[j] - mean;
        }

        Assert.Equal(Math.Log(2), MutualInformation.Estimate(y).Value, 6);
    }

    [Theory]
    [InlineData(1, 2, 2, 1.0, 1.0)]
    [InlineData(2, 5, 3, 2.0, 1.0)]
    [InlineData(3, 12, 5, 0.5, 1.0)]
    [InlineData(4, 8, 4, 3.0, 0.2)]
    public void Agrees_with_an_independent_implementation(int seed, int n, int l, double spread, double noise)
    {
        double[,] y = Random(seed, n, l, spread, noise);
        MutualInformationEstimate estimate = MutualInformation.Estimate(y);
        Assert.Equal(Reference(y), estimate.RawValue, 10);
    }

    [Fact]
    public void Random_inputs_never_leave_zero_to_log_n()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            int n = rng.Next(1, 40), l = rng.Next(1, 7);
            double spread = Math.Pow(10, rng.NextDouble() * 6 - 3), noise = Math.Pow(10, rng.NextDouble() * 6 - 3);
            double[,] y = Random(seed + 1000, n, l, spread, noise);
            if (seed % 5 == 0)
            {
                // Heavy-tailed examples: a few far outliers among many similar ones.
                for (int x = 0; x < n; x += 7)
                    y[x, 0] += 1000 * noise;
            }

            MutualInformationEstimate estimate = MutualInformation.Estimate(y);
            Assert.InRange(estimate.Value, 0.0, Math.Log(n));
            Assert.Equal(estimate.RawValue, estimate.Value, 8);
        }
    }

    [Fact]
    public void Zero_variance_uses_the_noise_free_limit()
    {
        // Augmentations change nothing; means {1, 1, 2, 3}: I = mean_x log(N / n_x) = (2 log 2 + 2 log 4) / 4.
        double[,] y = { { 1, 1, 1 }, { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 } };
        MutualInformationEstimate estimate = MutualInformation.Estimate(y);
        Assert.Equal(0.0, estimate.SharedVariance);
        Assert.Equal(1.5 * Math.Log(2), estimate.Value, 12);

        // One augmentation per example (L = 1) is the same limit: distinct values identify the example.
        Assert.Equal(Math.Log(3), MutualInformation.Estimate(new double[,] { { 0.1 }, { 0.2 }, { 0.3 } }).Value, 12);
        Assert.Equal(0.0, MutualInformation.Estimate(new double[,] { { 7, 7 } }).Value);
    }

    [Fact]
    public void Zero_variance_limit_is_continuous_with_tiny_noise()
    {
        var rng = new Random(8);
        double[,] y = { { 1, 1, 1 }, { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 } };
        for (int x = 0; x < 4; x++)
            for (int j = 0; j < 3; j++)
                y[x, j] += 1e-6 * TestData.Gaussian(rng);
        Assert.Equal(1.5 * Math.Log(2), MutualInformation.Estimate(y).Value, 2);
    }

    [Fact]
    public void Rejects_empty_or_non_finite_input()
    {
        Assert.Throws<ArgumentException>(() => MutualInformation.Estimate(new double[0, 3]));
        Assert.Throws<ArgumentException>(() => MutualInformation.Estimate(new double[,] { { 1, double.NaN } }));
    }
}
