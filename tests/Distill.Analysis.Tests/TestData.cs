using Distill.Analysis.Calibration;

namespace Distill.Analysis.Tests;

/// <summary>Seeded synthetic inputs shared by the tests.</summary>
internal static class TestData
{
    public static double Gaussian(Random rng)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the log is finite.
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double[] RandomLogits(Random rng, int rows, int classes, double scale)
    {
        var z = new double[rows * classes];
        for (int i = 0; i < z.Length; i++)
            z[i] = scale * Gaussian(rng);
        return z;
    }

    public static int[] RandomLabels(Random rng, int rows, int classes)
    {
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
            labels[i] = rng.Next(classes);
        return labels;
    }

    /// <summary>Labels drawn from softmax(z): z is then calibrated at T = 1 by construction.</summary>
    public static int[] LabelsSampledFrom(Random rng, LogitMatrix logits)
    {
        var labels = new int[logits.Rows];
        for (int i = 0; i < logits.Rows; i++)
        {
            double[] p = Softmax.Compute(logits.Row(i));
            double u = rng.NextDouble(), cumulative = 0;
            labels[i] = p.Length - 1;
            for (int k = 0; k < p.Length; k++)
            {
                cumulative += p[k];
                if (u < cumulative)
                {
                    labels[i] = k;
                    break;
                }
            }
        }
        return labels;
    }
}
