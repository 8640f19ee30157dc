using Distill.Analysis.Calibration;

namespace Distill.Analysis.Tests;

public class CalibrationMetricsTests
{
    /// <summary>
    /// A deliberately different ECE: plain (non-stable) softmax, then for each bin a loop over all
    /// examples testing (m-1)/M &lt; conf &lt;= m/M.
    /// </summary>
    private static double ReferenceEce(double[] z, int classes, int[] labels, double temperature, int bins)
    {
        int n = labels.Length;
        var confidence = new double[n];
        var correct = new bool[n];
        for (int i = 0; i < n; i++)
        {
            var e = new double[classes];
            for (int k = 0; k < classes; k++)
                e[k] = Math.Exp(z[i * classes + k] / temperature);
            double total = e.Sum();
            int arg = Array.IndexOf(e, e.Max());
            confidence[i] = e[arg] / total;
            correct[i] = arg == labels[i];
        }

        double ece = 0;
        for (int m = 1; m <= bins; m++)
        {
            double lo = (double)(m - 1) / bins, hi = (double)m / bins;
            var members = Enumerable.Range(0, n).Where(i => confidence[i] > lo && confidence[i] <= hi).ToList();
            if (members.Count == 0)
                continue;
            double acc = members.Count(i => correct[i]) / (double)members.Count;
            double conf = members.Average(i => confidence[i]);
            ece += members.Count / (double)n * Math.Abs(acc - conf);
        }
        return ece;
    }

    [Theory]
    [InlineData(1, 10, 1.0, 1.0, 15)]
    [InlineData(2, 3, 3.0, 1.0, 15)]
    [InlineData(3, 100, 2.0, 1.7, 10)]
    [InlineData(4, 2, 0.5, 0.4, 20)]
    public void Ece_agrees_with_an_independent_implementation(int seed, int classes, double scale, double temperature, int bins)
    {
        var rng = new Random(seed);
        const int n = 2000;
        double[] z = TestData.RandomLogits(rng, n, classes, scale);
        int[] labels = TestData.RandomLabels(rng, n, classes);
        // Bias labels towards the arg-max so accuracy is neither ~0 nor ~1.
        for (int i = 0; i < n; i += 2)
            labels[i] = CalibrationMetrics.ArgMax(z.AsSpan(i * classes, classes));

        double expected = ReferenceEce(z, classes, labels, temperature, bins);
        double actual = CalibrationMetrics.ExpectedCalibrationError(new LogitMatrix(z, classes), labels, temperature, bins);
        Assert.True(expected > 0.001, "the random case should be miscalibrated enough to be a real check");
        Assert.Equal(expected, actual, 12);
    }

    [Theory]
    [InlineData(1, 10, 15)]
    [InlineData(3, 100, 10)]
    public void Ece_from_confidences_and_outcomes_is_the_ece_of_the_logits(int seed, int classes, int bins)
    {
        var rng = new Random(seed);
        const int n = 1000;
        double[] z = TestData.RandomLogits(rng, n, classes, 2.0);
        int[] labels = TestData.RandomLabels(rng, n, classes);
        for (int i = 0; i < n; i += 2)
            labels[i] = CalibrationMetrics.ArgMax(z.AsSpan(i * classes, classes));
        var confidences = new double[n];
        var correct = new bool[n];
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * classes, classes);
            int prediction = CalibrationMetrics.ArgMax(row);
            confidences[i] = Math.Exp(row[prediction] - Softmax.LogSumExp(row, 1.0));
            correct[i] = prediction == labels[i];
        }

        double fromLogits = CalibrationMetrics.ExpectedCalibrationError(new LogitMatrix(z, classes), labels, bins: bins);

        Assert.True(fromLogits > 0.01);
        Assert.Equal(fromLogits, CalibrationMetrics.ExpectedCalibrationError(confidences, correct, bins), 12);
    }

    [Fact]
    public void Bins_partition_the_examples_and_their_gaps_add_up_to_the_ece()
    {
        var rng = new Random(5);
        double[] z = TestData.RandomLogits(rng, 500, 4, 2.0);
        int[] labels = TestData.RandomLabels(rng, 500, 4);
        ReliabilityDiagramData data = CalibrationMetrics.Reliability(new LogitMatrix(z, 4), labels);

        Assert.Equal(15, data.Bins.Count);
        Assert.Equal(500, data.Bins.Sum(b => b.Count));
        Assert.Equal(data.ExpectedCalibrationError, data.Bins.Sum(b => b.Count / 500.0 * b.Gap), 12);
        foreach (ReliabilityBin bin in data.Bins.Where(b => !b.IsEmpty))
        {
            Assert.InRange(bin.MeanConfidence, bin.Lower, bin.Upper);
            Assert.InRange(bin.Accuracy, 0, 1);
        }
        // With 4 classes confidence is at least 1/4, so the low bins must be empty.
        Assert.True(data.Bins.Where(b => b.Upper <= 0.25).All(b => b.IsEmpty));
    }

    [Theory]
    [InlineData(0.5, 15, 8)]
    [InlineData(1.0, 15, 15)]
    [InlineData(2.0 / 3.0, 3, 2)]
    [InlineData(0.0, 15, 1)]
    [InlineData(1e-9, 15, 1)]
    [InlineData(0.0667, 15, 2)]
    public void Bin_edges_are_right_closed(double confidence, int bins, int expectedBin)
    {
        Assert.Equal(expectedBin, CalibrationMetrics.BinOf(confidence, bins));
    }

    [Fact]
    public void Perfectly_calibrated_construction_has_zero_ece()
    {
        // Ten examples at each confidence c, of which exactly 10c are right: acc(B) = conf(B) in every bin.
        var z = new List<double>();
        var labels = new List<int>();
        foreach (double c in new[] { 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 })
        {
            for (int i = 0; i < 10; i++)
            {
                z.Add(Math.Log(c));
                z.Add(c < 1.0 ? Math.Log(1 - c) : -800.0);
                labels.Add(i < (int)Math.Round(10 * c) ? 0 : 1);
            }
        }
        var logits = new LogitMatrix(z.ToArray(), 2);
        Assert.Equal(0.0, CalibrationMetrics.ExpectedCalibrationError(logits, labels.ToArray()), 12);
        Assert.Equal(0.75, CalibrationMetrics.Accuracy(logits, labels.ToArray()), 12);
    }

    [Fact]
    public void Labels_drawn_from_the_model_give_a_small_ece_and_overconfidence_a_large_one()
    {
        var rng = new Random(11);
        var logits = new LogitMatrix(TestData.RandomLogits(rng, 20000, 5, 2.0), 5);
        int[] labels = TestData.LabelsSampledFrom(rng, logits);
        Assert.True(CalibrationMetrics.ExpectedCalibrationError(logits, labels) < 0.02);
        // Reading the same logits at T = 0.3 sharpens them: overconfident.
        Assert.True(CalibrationMetrics.ExpectedCalibrationError(logits, labels, 0.3) > 0.1);
    }

    [Fact]
    public void Nll_and_accuracy_match_hand_computation()
    {
        // Row 0: p = [0.5, 0.25, 0.25], label 0, correct. Row 1: same logits, label 2, wrong.
        double[] row = [Math.Log(2), 0, 0];
        var logits = new LogitMatrix([.. row, .. row], 3);
        int[] labels = [0, 2];
        Assert.Equal(0.5, CalibrationMetrics.Accuracy(logits, labels), 15);
        Assert.Equal((-Math.Log(0.5) - Math.Log(0.25)) / 2, CalibrationMetrics.NegativeLogLikelihood(logits, labels), 12);

        CalibrationSummary summary = CalibrationMetrics.Summarize(logits, labels);
        Assert.Equal(1.0, summary.Temperature);
        // Both examples sit at confidence 0.5 with accuracy 0.5.
        Assert.Equal(0.0, summary.ExpectedCalibrationError, 12);
    }

    [Fact]
    public void Nll_keeps_the_tiny_loss_of_confident_correct_predictions()
    {
        // -log p_y = log(1 + e^-50) ~ e^-50 for the correct row; log(1 + e^50) ~ 50 for the wrong one.
        double[] row = [50.0, 0.0];
        double tiny = CalibrationMetrics.NegativeLogProbability(row, 0, 1.0);
        Assert.True(Math.Abs(tiny / Math.Exp(-50) - 1) < 1e-12, $"got {tiny}");
        Assert.Equal(50 + Math.Log(1 + Math.Exp(-50)), CalibrationMetrics.NegativeLogProbability(row, 1, 1.0), 12);
        Assert.Equal(Math.Log(1 + Math.Exp(-5)), CalibrationMetrics.NegativeLogProbability(row, 0, 10.0), 14);
    }

    [Fact]
    public void Rejects_bad_labels()
    {
        var logits = new LogitMatrix([0.0, 1.0, 2.0, 3.0], 2);
        Assert.Throws<ArgumentException>(() => CalibrationMetrics.Accuracy(logits, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMetrics.Accuracy(logits, [0, 2]));
    }
}
