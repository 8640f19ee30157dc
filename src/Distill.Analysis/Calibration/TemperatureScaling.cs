namespace Distill.Analysis.Calibration;

/// <summary>Result of fitting one temperature on a validation split.</summary>
/// <param name="Temperature">The fitted T &gt; 0.</param>
/// <param name="NegativeLogLikelihood">Validation NLL at the fitted T (nats).</param>
/// <param name="NegativeLogLikelihoodAtOne">Validation NLL at T = 1, for comparison.</param>
/// <param name="AtSearchBoundary">True when T sits at an end of the search range (the optimum may lie outside it).</param>
public sealed record TemperatureFit(double Temperature, double NegativeLogLikelihood, double NegativeLogLikelihoodAtOne, bool AtSearchBoundary);

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T minimising the NLL of softmax(z / T)
/// on a held-out validation split (never the test split). Accuracy is unchanged because
/// dividing by T &gt; 0 keeps the arg-max.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>Default search range for T.</summary>
    public const double DefaultMinTemperature = 0.05, DefaultMaxTemperature = 20.0;

    /// <summary>Default tolerance on log T.</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>Fits T by minimising validation NLL over log T in [log min, log max].</summary>
    public static TemperatureFit Fit(
        LogitMatrix validationLogits,
        int[] validationLabels,
        double minTemperature = DefaultMinTemperature,
        double maxTemperature = DefaultMaxTemperature,
        double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(validationLogits);
        validationLogits.RequireRows();
        validationLogits.ValidateLabels(validationLabels);
        if (!(minTemperature > 0) || !(maxTemperature > minTemperature))
            throw new ArgumentException($"Need 0 < minTemperature < maxTemperature, got [{minTemperature}, {maxTemperature}].");

        // Search on log T: the NLL is convex in 1/T, hence unimodal in log T, and log T
        // spreads small and large temperatures evenly.
        double lo = Math.Log(minTemperature), hi = Math.Log(maxTemperature);
        (double logT, double nll) = ScalarMinimizer.Minimize(
            s => CalibrationMetrics.NegativeLogLikelihood(validationLogits, validationLabels, Math.Exp(s)),
            lo, hi, tolerance);

        bool atBoundary = logT - lo < 10 * tolerance || hi - logT < 10 * tolerance;
        double nllAtOne = CalibrationMetrics.NegativeLogLikelihood(validationLogits, validationLabels, 1.0);
        return new TemperatureFit(Math.Exp(logT), nll, nllAtOne, atBoundary);
    }
}
