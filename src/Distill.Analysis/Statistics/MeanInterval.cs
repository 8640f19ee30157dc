using MathNet.Numerics.Distributions;

namespace Distill.Analysis.Statistics;

/// <summary>
/// The mean of n values with its two-sided Student-t interval: mean +- t(1 - (1 - confidence) / 2, n - 1) * sd / sqrt(n),
/// sd the sample standard deviation. With one value the interval is undefined (NaN ends): nothing is significant.
/// </summary>
public sealed record MeanInterval(int N, double Mean, double StandardDeviation, double Lower, double Upper)
{
    public const double Confidence95 = 0.95;

    public static MeanInterval Of(IEnumerable<double> values, double confidence = Confidence95)
    {
        var list = values.ToList();
        if (list.Count == 0) return new MeanInterval(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double mean = list.Average();
        if (list.Count == 1) return new MeanInterval(1, mean, double.NaN, double.NaN, double.NaN);
        double sd = Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
        double t = StudentT.InvCDF(0, 1, list.Count - 1, 1 - (1 - confidence) / 2);
        double half = t * sd / Math.Sqrt(list.Count);
        return new MeanInterval(list.Count, mean, sd, mean - half, mean + half);
    }

    /// <summary>The whole interval lies above 0.</summary>
    public bool SignificantlyAboveZero => Lower > 0;

    /// <summary>The whole interval lies below 0.</summary>
    public bool SignificantlyBelowZero => Upper < 0;
}
