namespace Distill.Analysis.Calibration;

/// <summary>Numerically stable softmax and log-sum-exp with a temperature.</summary>
public static class Softmax
{
    /// <summary>log(sum_k exp(z_k / T)), computed around the maximum so large logits do not overflow.</summary>
    public static double LogSumExp(ReadOnlySpan<double> logits, double temperature = 1.0)
    {
        CheckTemperature(temperature);
        if (logits.IsEmpty)
            throw new ArgumentException("Cannot take log-sum-exp of an empty row.", nameof(logits));
        double max = double.NegativeInfinity;
        foreach (double z in logits)
            max = Math.Max(max, z / temperature);
        double sum = 0;
        foreach (double z in logits)
            sum += Math.Exp(z / temperature - max);
        return max + Math.Log(sum);
    }

    /// <summary>Writes softmax(z / T) into <paramref name="probabilities"/> (same length as <paramref name="logits"/>).</summary>
    public static void Compute(ReadOnlySpan<double> logits, double temperature, Span<double> probabilities)
    {
        if (probabilities.Length != logits.Length)
            throw new ArgumentException("Output length must equal the number of logits.", nameof(probabilities));
        double lse = LogSumExp(logits, temperature);
        for (int k = 0; k < logits.Length; k++)
            probabilities[k] = Math.Exp(logits[k] / temperature - lse);
    }

    /// <summary>softmax(z / T) for one row.</summary>
    public static double[] Compute(ReadOnlySpan<double> logits, double temperature = 1.0)
    {
        var p = new double[logits.Length];
        Compute(logits, temperature, p);
        return p;
    }

    /// <summary>softmax(z / T) for every row, row-major N x K.</summary>
    public static double[] Compute(LogitMatrix logits, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var p = new double[logits.Rows * logits.Classes];
        for (int i = 0; i < logits.Rows; i++)
            Compute(logits.Row(i), temperature, p.AsSpan(i * logits.Classes, logits.Classes));
        return p;
    }

    internal static void CheckTemperature(double temperature)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be a finite number > 0.");
    }
}
