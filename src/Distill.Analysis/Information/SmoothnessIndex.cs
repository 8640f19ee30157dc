using Distill.Analysis.Calibration;

namespace Distill.Analysis.Information;

/// <summary>
/// The smoothness index of a teacher's soft targets (Müller et al., 2019, section 4):
/// gamma = E_x[ sum_k (1 - y_k) p_k ] * K / (K - 1), with y the one-hot true label and p the
/// teacher's distribution. It is the probability mass off the true class, rescaled so that
/// label-smoothed targets (1 - alpha) 1[k = y] + alpha / K give gamma = alpha exactly; this puts
/// temperature-softened and label-smoothed teachers on one axis.
/// </summary>
public static class SmoothnessIndex
{
    /// <summary>gamma of the teacher distribution softmax(z / T).</summary>
    public static double FromLogits(LogitMatrix teacherLogits, int[] labels, double temperature)
    {
        ArgumentNullException.ThrowIfNull(teacherLogits);
        teacherLogits.RequireRows();
        teacherLogits.ValidateLabels(labels);
        Softmax.CheckTemperature(temperature);

        double offTrueMass = 0;
        for (int i = 0; i < teacherLogits.Rows; i++)
        {
            ReadOnlySpan<double> row = teacherLogits.Row(i);
            // sum_k (1 - y_k) p_k = 1 - p_y; computing it from logits keeps precision when p_y ~ 1.
            offTrueMass += OffTrueMass(row, labels[i], temperature);
        }
        return Rescale(offTrueMass / teacherLogits.Rows, teacherLogits.Classes);
    }

    private static double OffTrueMass(ReadOnlySpan<double> row, int label, double temperature)
    {
        // 1 - p_y = sum_{k != y} exp(z_k/T - lse): summing the small terms directly avoids 1 - (almost 1).
        double lse = Softmax.LogSumExp(row, temperature);
        double mass = 0;
        for (int k = 0; k < row.Length; k++)
        {
            if (k != label)
                mass += Math.Exp(row[k] / temperature - lse);
        }
        return mass;
    }

    private static double Rescale(double meanOffTrueMass, int classes) => meanOffTrueMass * classes / (classes - 1);
}
