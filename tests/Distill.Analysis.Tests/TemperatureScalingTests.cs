using Distill.Analysis.Calibration;

namespace Distill.Analysis.Tests;

public class TemperatureScalingTests
{
    private static (LogitMatrix Logits, int[] Labels) Overconfident(int seed, int n, int classes, double sharpening)
    {
        var rng = new Random(seed);
        double[] z = TestData.RandomLogits(rng, n, classes, 1.5);
        int[] labels = TestData.LabelsSampledFrom(rng, new LogitMatrix(z, classes));
        // Scaling calibrated logits by s makes softmax(z * s / T) calibrated at T = s.
        return (new LogitMatrix(z.Select(v => v * sharpening).ToArray(), classes), labels);
    }

    [Theory]
    [InlineData(1, 2.5)]
    [InlineData(2, 0.6)]
    [InlineData(3, 1.0)]
    public void Fitted_temperature_matches_a_fine_grid_search(int seed, double sharpening)
    {
        (LogitMatrix logits, int[] labels) = Overconfident(seed, 400, 6, sharpening);
        TemperatureFit fit = TemperatureScaling.Fit(logits, labels);

        const int points = 4001;
        double lo = Math.Log(0.05), hi = Math.Log(20), step = (hi - lo) / (points - 1);
        double bestT = double.NaN, bestNll = double.PositiveInfinity;
        for (int i = 0; i < points; i++)
        {
            double t = Math.Exp(lo + i * step);
            double nll = CalibrationMetrics.NegativeLogLikelihood(logits, labels, t);
            if (nll < bestNll)
                (bestT, bestNll) = (t, nll);
        }

        Assert.InRange(Math.Log(fit.Temperature), Math.Log(bestT) - step, Math.Log(bestT) + step);
        Assert.True(fit.NegativeLogLikelihood <= bestNll + 1e-12, $"fit NLL {fit.NegativeLogLikelihood} > grid NLL {bestNll}");
        Assert.Equal(CalibrationMetrics.NegativeLogLikelihood(logits, labels, fit.Temperature), fit.NegativeLogLikelihood, 12);
        Assert.True(fit.NegativeLogLikelihood <= fit.NegativeLogLikelihoodAtOne);
        Assert.False(fit.AtSearchBoundary);
    }

    [Fact]
    public void Recovers_the_sharpening_of_calibrated_logits_and_lowers_ece()
    {
        (LogitMatrix logits, int[] labels) = Overconfident(7, 20000, 5, 2.5);
        TemperatureFit fit = TemperatureScaling.Fit(logits, labels);
        Assert.InRange(fit.Temperature, 2.3, 2.7);
        Assert.True(CalibrationMetrics.ExpectedCalibrationError(logits, labels, fit.Temperature)
                    < CalibrationMetrics.ExpectedCalibrationError(logits, labels) / 3);
    }

    [Fact]
    public void Accuracy_is_unchanged_by_temperature()
    {
        (LogitMatrix logits, int[] labels) = Overconfident(9, 1000, 4, 3.0);
        TemperatureFit fit = TemperatureScaling.Fit(logits, labels);
        Assert.NotEqual(1.0, fit.Temperature, 1);

        // Recompute accuracy from the scaled probabilities rather than from the logits.
        double[] p = Softmax.Compute(logits, fit.Temperature);
        int correct = Enumerable.Range(0, logits.Rows)
            .Count(i => CalibrationMetrics.ArgMax(p.AsSpan(i * logits.Classes, logits.Classes)) == labels[i]);
        Assert.Equal(CalibrationMetrics.Accuracy(logits, labels), correct / (double)logits.Rows, 15);
    }

    [Fact]
    public void Perfectly_separated_data_pushes_temperature_to_the_lower_boundary()
    {
        // Every example right by a wide margin: NLL keeps falling as T shrinks.
        var logits = new LogitMatrix([5.0, 0.0, 0.0, 5.0, 5.0, 0.0], 2);
        TemperatureFit fit = TemperatureScaling.Fit(logits, [0, 1, 0]);
        Assert.True(fit.AtSearchBoundary);
        Assert.Equal(0.05, fit.Temperature, 4);
    }

    [Fact]
    public void Minimizer_finds_the_minimum_of_a_parabola_and_of_an_end_point()
    {
        (double x, double value) = ScalarMinimizer.Minimize(v => (v - 0.3) * (v - 0.3) + 2, -3, 5, 1e-8);
        Assert.Equal(0.3, x, 6);
        Assert.Equal(2.0, value, 10);
        (double edge, _) = ScalarMinimizer.Minimize(v => v, -1, 1, 1e-8);
        Assert.Equal(-1.0, edge, 6);
    }
}
