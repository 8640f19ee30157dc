namespace Distill.Analysis.Calibration;

/// <summary>
/// Robust 1-D minimisation on a closed interval: a coarse grid scan finds the basin,
/// golden-section search then narrows it. The scan guards against a poor bracket if the
/// function is not unimodal; golden section needs no derivatives and cannot diverge.
/// </summary>
public static class ScalarMinimizer
{
    private static readonly double InverseGolden = (Math.Sqrt(5) - 1) / 2;

    /// <summary>Returns (x, f(x)) with x within <paramref name="tolerance"/> of a minimiser of f on [lower, upper].</summary>
    public static (double X, double Value) Minimize(Func<double, double> f, double lower, double upper, double tolerance = 1e-6, int gridPoints = 41)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!(lower < upper))
            throw new ArgumentException($"Need lower < upper, got [{lower}, {upper}].");
        if (!(tolerance > 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "Tolerance must be > 0.");
        if (gridPoints < 3)
            throw new ArgumentOutOfRangeException(nameof(gridPoints), gridPoints, "Need at least 3 grid points.");

        double step = (upper - lower) / (gridPoints - 1);
        int best = 0;
        double bestValue = double.PositiveInfinity;
        for (int i = 0; i < gridPoints; i++)
        {
            double value = f(lower + i * step);
            if (value < bestValue)
            {
                bestValue = value;
                best = i;
            }
        }

        // The minimum of a unimodal function lies within one grid step of the best grid point.
        double a = lower + Math.Max(best - 1, 0) * step;
        double b = lower + Math.Min(best + 1, gridPoints - 1) * step;
        double c = b - InverseGolden * (b - a);
        double d = a + InverseGolden * (b - a);
        double fc = f(c), fd = f(d);
        while (b - a > tolerance)
        {
            if (fc < fd)
            {
                b = d; d = c; fd = fc;
                c = b - InverseGolden * (b - a);
                fc = f(c);
            }
            else
            {
                a = c; c = d; fc = fd;
                d = a + InverseGolden * (b - a);
                fd = f(d);
            }
        }

        double x = (a + b) / 2;
        double fx = f(x);
        // Never return something worse than the grid already found (e.g. a minimum at an end point).
        return fx <= bestValue ? (x, fx) : (lower + best * step, bestValue);
    }
}
