namespace Distill.Analysis.Calibration;

/// <summary>
/// Calibration measures of Guo et al. (2017): top-1 accuracy, negative log-likelihood and the
/// expected calibration error with M equal-width bins B_m = ((m-1)/M, m/M].
/// </summary>
public static class CalibrationMetrics
{
    /// <summary>The paper's (and Guo et al.'s) bin count.</summary>
    public const int DefaultBins = 15;

    /// <summary>Index of the largest logit (the first one on ties). Temperature cannot change it.</summary>
    public static int ArgMax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++)
        {
            if (row[k] > row[best])
                best = k;
        }
        return best;
    }

    /// <summary>Top-1 accuracy in [0, 1].</summary>
    public static double Accuracy(LogitMatrix logits, int[] labels)
    {
        Validate(logits, labels);
        int correct = 0;
        for (int i = 0; i < logits.Rows; i++)
        {
            if (ArgMax(logits.Row(i)) == labels[i])
                correct++;
        }
        return (double)correct / logits.Rows;
    }

    /// <summary>Mean negative log-likelihood -log softmax(z / T)_y in nats.</summary>
    public static double NegativeLogLikelihood(LogitMatrix logits, int[] labels, double temperature = 1.0)
    {
        Validate(logits, labels);
        Softmax.CheckTemperature(temperature);
        double sum = 0;
        for (int i = 0; i < logits.Rows; i++)
            sum += NegativeLogProbability(logits.Row(i), labels[i], temperature);
        return sum / logits.Rows;
    }

    /// <summary>
    /// -log softmax(z / T)_y = log sum_k exp((z_k - z_y) / T), never forming a probability (no log 0).
    /// When y is the arg-max it is evaluated as log1p(sum_{k != y} ...), so a confident, correct
    /// prediction keeps its tiny loss (e.g. 1e-40) instead of rounding to 0; the temperature fit
    /// relies on that to see the slope.
    /// </summary>
    public static double NegativeLogProbability(ReadOnlySpan<double> row, int label, double temperature)
    {
        double zy = row[label];
        double max = double.NegativeInfinity;
        for (int k = 0; k < row.Length; k++)
        {
            if (k != label)
                max = Math.Max(max, (row[k] - zy) / temperature);
        }
        if (max <= 0)
        {
            double rest = 0;
            for (int k = 0; k < row.Length; k++)
            {
                if (k != label)
                    rest += Math.Exp((row[k] - zy) / temperature);
            }
            return LogOnePlus(rest);
        }
        return Softmax.LogSumExp(row, temperature) - zy / temperature;
    }

    // Accurate log(1 + x) for x >= 0 (Goldberg's trick: the rounding of 1 + x cancels in the ratio).
    // double.LogP1 is not used because it evaluates log(1 + x) directly and loses small x.
    private static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    /// <summary>Bin number m in 1..M for a confidence: ceil(conf * M), clamped so conf = 0 lands in bin 1.</summary>
    public static int BinOf(double confidence, int bins)
    {
        int m = (int)Math.Ceiling(confidence * bins);
        return Math.Clamp(m, 1, bins);
    }

    /// <summary>Per-bin counts, mean confidence and accuracy, and the ECE they give.</summary>
    public static ReliabilityDiagramData Reliability(LogitMatrix logits, int[] labels, double temperature = 1.0, int bins = DefaultBins)
    {
        Validate(logits, labels);
        Softmax.CheckTemperature(temperature);
        if (bins < 1)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "Need at least one bin.");

        var count = new int[bins];
        var confidenceSum = new double[bins];
        var correctSum = new int[bins];
        for (int i = 0; i < logits.Rows; i++)
        {
            ReadOnlySpan<double> row = logits.Row(i);
            int prediction = ArgMax(row);
            double confidence = Math.Exp(row[prediction] / temperature - Softmax.LogSumExp(row, temperature));
            int b = BinOf(confidence, bins) - 1;
            count[b]++;
            confidenceSum[b] += confidence;
            if (prediction == labels[i])
                correctSum[b]++;
        }

        var result = new ReliabilityBin[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            double meanConfidence = count[b] == 0 ? 0 : confidenceSum[b] / count[b];
            double accuracy = count[b] == 0 ? 0 : (double)correctSum[b] / count[b];
            result[b] = new ReliabilityBin(b + 1, (double)b / bins, (double)(b + 1) / bins, count[b], meanConfidence, accuracy);
            ece += (double)count[b] / logits.Rows * Math.Abs(accuracy - meanConfidence);
        }
        return new ReliabilityDiagramData(result, logits.Rows, ece);
    }

    /// <summary>
    /// Expected calibration error from each example's confidence and correctness (the same bins as
    /// <see cref="Reliability"/>): for a model evaluated batch by batch, without keeping its logits.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double> confidences, IReadOnlyList<bool> correct, int bins = DefaultBins)
    {
        if (confidences.Count != correct.Count) throw new ArgumentException($"{confidences.Count} confidences but {correct.Count} outcomes");
        if (confidences.Count == 0) return double.NaN;
        var count = new int[bins];
        var gap = new double[bins];
        for (int i = 0; i < confidences.Count; i++)
        {
            int b = BinOf(confidences[i], bins) - 1;
            count[b]++;
            gap[b] += (correct[i] ? 1 : 0) - confidences[i];
        }
        // Per bin |accuracy - mean confidence| weighted by its share: |sum of (correct - confidence)| / N.
        return gap.Sum(Math.Abs) / confidences.Count;
    }

    /// <summary>Expected calibration error with <paramref name="bins"/> equal-width bins.</summary>
    public static double ExpectedCalibrationError(LogitMatrix logits, int[] labels, double temperature = 1.0, int bins = DefaultBins)
        => Reliability(logits, labels, temperature, bins).ExpectedCalibrationError;

    /// <summary>Accuracy, NLL, ECE and reliability bins at one temperature.</summary>
    public static CalibrationSummary Summarize(LogitMatrix logits, int[] labels, double temperature = 1.0, int bins = DefaultBins)
    {
        ReliabilityDiagramData reliability = Reliability(logits, labels, temperature, bins);
        return new CalibrationSummary(
            temperature,
            Accuracy(logits, labels),
            NegativeLogLikelihood(logits, labels, temperature),
            reliability.ExpectedCalibrationError,
            reliability);
    }

    private static void Validate(LogitMatrix logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        logits.RequireRows();
        logits.ValidateLabels(labels);
    }
}
