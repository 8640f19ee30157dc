namespace Distill.Analysis.Geometry;

/// <summary>
/// How far a class's penultimate activations spread toward another class: this project's reading of Chandrasegaran et
/// al.'s (ICML 2022) "systematic diffusion" of a smoothed teacher's student toward semantically similar classes, not
/// their own formula. For classes a, b with means mu_a, mu_b and class-a covariance S_a in d dimensions:
/// u = (mu_b - mu_a) / |mu_b - mu_a| and eta_ab = (u' S_a u) / (trace(S_a) / d): 1 when class a spreads as much toward b
/// as along an average direction, above 1 when it spreads toward b. A pair's diffusion is (eta_ab + eta_ba) / 2.
/// </summary>
public static class ClassDiffusion
{
    /// <summary>eta_ab on the rows (n x <paramref name="dimension"/>, row-major) whose label is a and b.</summary>
    public static double Toward(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<int> labels, int a, int b)
    {
        var (meanA, countA) = Mean(features, dimension, labels, a);
        var (meanB, countB) = Mean(features, dimension, labels, b);
        if (countA < 2 || countB < 1)
            throw new ArgumentException($"class {a} needs at least 2 examples and class {b} at least 1 (got {countA} and {countB})");
        var u = new double[dimension];
        double norm = 0;
        for (int j = 0; j < dimension; j++)
        {
            u[j] = meanB[j] - meanA[j];
            norm += u[j] * u[j];
        }
        norm = Math.Sqrt(norm);
        if (norm == 0) return double.NaN; // no direction from a to b
        for (int j = 0; j < dimension; j++) u[j] /= norm;

        // Both sums over the same centred rows, so the covariance's 1 / (n - 1) cancels in the ratio.
        double along = 0, trace = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != a) continue;
            var row = features.Slice(i * dimension, dimension);
            double projection = 0;
            for (int j = 0; j < dimension; j++)
            {
                double centred = row[j] - meanA[j];
                projection += centred * u[j];
                trace += centred * centred;
            }
            along += projection * projection;
        }
        return trace == 0 ? double.NaN : along / (trace / dimension);
    }

    /// <summary>(eta_ab + eta_ba) / 2: the pair's spread toward each other.</summary>
    public static double Pair(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<int> labels, int a, int b) =>
        (Toward(features, dimension, labels, a, b) + Toward(features, dimension, labels, b, a)) / 2;

    /// <summary>Each pair's <see cref="Pair"/>, and their mean (H over similar pairs, H_ctl over dissimilar ones).</summary>
    public static (IReadOnlyList<double> PerPair, double Mean) Mean(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<int> labels,
        IReadOnlyList<(int A, int B)> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("at least one class pair is needed", nameof(pairs));
        var perPair = new double[pairs.Count];
        double sum = 0;
        for (int i = 0; i < pairs.Count; i++) sum += perPair[i] = Pair(features, dimension, labels, pairs[i].A, pairs[i].B);
        return (perPair, sum / pairs.Count);
    }

    private static (double[] Mean, int Count) Mean(ReadOnlySpan<float> features, int dimension, ReadOnlySpan<int> labels, int label)
    {
        if (dimension < 1 || features.Length != labels.Length * dimension)
            throw new ArgumentException($"features hold {features.Length} values, not {labels.Length} rows of {dimension}");
        var mean = new double[dimension];
        int count = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != label) continue;
            count++;
            var row = features.Slice(i * dimension, dimension);
            for (int j = 0; j < dimension; j++) mean[j] += row[j];
        }
        if (count > 0) for (int j = 0; j < dimension; j++) mean[j] /= count;
        return (mean, count);
    }
}
