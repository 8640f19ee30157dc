namespace Distill.Analysis.Information;

/// <summary>An estimate of I(X; Y) in nats.</summary>
/// <param name="Value">The estimate; rounding just outside [0, log N] is clamped back in.</param>
/// <param name="UpperBound">log N, reached when every example is perfectly identifiable from Y.</param>
/// <param name="RawValue">The estimate before clamping (differs from Value only by rounding).</param>
/// <param name="SharedVariance">sigma^2, the pooled within-example variance (0 selects the noise-free limit).</param>
/// <param name="Examples">N.</param>
/// <param name="Augmentations">L.</param>
public sealed record MutualInformationEstimate(
    double Value,
    double UpperBound,
    double RawValue,
    double SharedVariance,
    int Examples,
    int Augmentations);

/// <summary>
/// Mutual information between the example index X (uniform over N examples) and a scalar Y
/// (e.g. the difference of two logits) whose only randomness is data augmentation
/// (Müller et al., 2019, section 4 and appendix).
/// <para>
/// p(y | x) is Gaussian with mean mu_x = mean_l y[x, l] and one shared variance
/// sigma^2 = mean over (x, l) of (y[x, l] - mu_x)^2; p(y) = (1/N) sum_x' p(y | x'), and
/// I_hat = mean over (x, l) of [ log p(y[x,l] | x) - log p(y[x,l]) ], the inner sum by log-sum-exp.
/// </para>
/// <para>
/// sigma^2 = 0 (every augmentation of every example gives the same value, e.g. L = 1 or a network
/// that ignores augmentation) makes the Gaussians degenerate. The estimator then returns its limit
/// as sigma -> 0: each p(y | x) is a point mass, so I = mean_x log(N / n_x), where n_x counts the
/// examples whose mean equals mu_x exactly (the entropy of the distinct values). Distinct examples
/// give log N; identical ones give 0.
/// </para>
/// </summary>
public static class MutualInformation
{
    /// <summary>How far outside [0, log N] rounding may push the value before it is clamped (relative to max(1, log N)).</summary>
    public const double RoundingTolerance = 1e-9;

    /// <summary>Estimates I(X; Y) from <paramref name="y"/>[x, l]: N examples (rows) by L augmentations (columns).</summary>
    public static MutualInformationEstimate Estimate(double[,] y)
    {
        ArgumentNullException.ThrowIfNull(y);
        int n = y.GetLength(0), l = y.GetLength(1);
        if (n < 1 || l < 1)
            throw new ArgumentException($"Need at least one example and one augmentation, got {n} x {l}.", nameof(y));
        foreach (double v in y)
        {
            if (!double.IsFinite(v))
                throw new ArgumentException("Values must be finite (found NaN or infinity).", nameof(y));
        }

        double[] mu = Means(y, n, l);
        double sigma2 = SharedVariance(y, mu, n, l);
        double logN = Math.Log(n);
        double raw = sigma2 > 0 ? GaussianEstimate(y, mu, sigma2, n, l) : NoiseFreeLimit(mu, n);

        double tolerance = RoundingTolerance * Math.Max(1.0, logN);
        double value = raw;
        if (raw < 0 && raw >= -tolerance)
            value = 0;
        else if (raw > logN && raw <= logN + tolerance)
            value = logN;
        return new MutualInformationEstimate(value, logN, raw, sigma2, n, l);
    }

    private static double[] Means(double[,] y, int n, int l)
    {
        var mu = new double[n];
        for (int x = 0; x < n; x++)
        {
            // Offset by the first value so identical augmentations give a mean exactly equal to
            // them (and so zero variance), and to reduce cancellation for large logits.
            double first = y[x, 0], sum = 0;
            for (int j = 0; j < l; j++)
                sum += y[x, j] - first;
            mu[x] = first + sum / l;
        }
        return mu;
    }

    private static double SharedVariance(double[,] y, double[] mu, int n, int l)
    {
        double sum = 0;
        for (int x = 0; x < n; x++)
        {
            for (int j = 0; j < l; j++)
            {
                double d = y[x, j] - mu[x];
                sum += d * d;
            }
        }
        return sum / ((double)n * l);
    }

    private static double GaussianEstimate(double[,] y, double[] mu, double sigma2, int n, int l)
    {
        // The Gaussian normalising constant is shared by every p(y | x') and cancels.
        double inverseTwoSigma2 = 1.0 / (2.0 * sigma2);
        double logN = Math.Log(n);
        var exponents = new double[n];
        double total = 0;
        for (int x = 0; x < n; x++)
        {
            for (int j = 0; j < l; j++)
            {
                double value = y[x, j];
                double max = double.NegativeInfinity;
                for (int other = 0; other < n; other++)
                {
                    double d = value - mu[other];
                    exponents[other] = -d * d * inverseTwoSigma2;
                    max = Math.Max(max, exponents[other]);
                }
                double sum = 0;
                for (int other = 0; other < n; other++)
                    sum += Math.Exp(exponents[other] - max);
                double logMixture = max + Math.Log(sum) - logN;
                total += exponents[x] - logMixture;
            }
        }
        return total / ((double)n * l);
    }

    private static double NoiseFreeLimit(double[] mu, int n)
    {
        var counts = new Dictionary<double, int>();
        foreach (double m in mu)
            counts[m] = counts.GetValueOrDefault(m) + 1;
        double total = 0;
        foreach (double m in mu)
            total += Math.Log((double)n / counts[m]);
        return total / n;
    }
}
