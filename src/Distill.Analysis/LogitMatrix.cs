namespace Distill.Analysis;

/// <summary>
/// A row-major N x K matrix of logits (one row per example, one column per class).
/// Why a type: the analysis layer works on plain arrays, and carrying K with the data
/// avoids passing (values, classes) pairs that can silently disagree.
/// </summary>
public sealed class LogitMatrix
{
    private readonly double[] _values;

    /// <summary>Wraps <paramref name="values"/> (not copied) as <c>values.Length / classes</c> rows of <paramref name="classes"/> logits.</summary>
    public LogitMatrix(double[] values, int classes)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least 2 classes.");
        if (values.Length % classes != 0)
            throw new ArgumentException($"Length {values.Length} is not a multiple of the class count {classes}.", nameof(values));
        foreach (double v in values)
        {
            if (!double.IsFinite(v))
                throw new ArgumentException("Logits must be finite (found NaN or infinity).", nameof(values));
        }
        _values = values;
        Classes = classes;
        Rows = values.Length / classes;
    }

    /// <summary>Copies single-precision logits (what TorchSharp and .npy caches usually hold) into a new matrix.</summary>
    public static LogitMatrix FromFloats(float[] values, int classes)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new LogitMatrix(Array.ConvertAll(values, v => (double)v), classes);
    }

    /// <summary>Number of examples N.</summary>
    public int Rows { get; }

    /// <summary>Number of classes K.</summary>
    public int Classes { get; }

    /// <summary>The logits of example <paramref name="row"/>.</summary>
    public ReadOnlySpan<double> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be in [0, {Rows}).");
        return new ReadOnlySpan<double>(_values, row * Classes, Classes);
    }

    /// <summary>Checks that <paramref name="labels"/> has one valid class index per row.</summary>
    internal void ValidateLabels(int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != Rows)
            throw new ArgumentException($"Expected {Rows} labels (one per row), got {labels.Length}.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)Classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label at index {i} is outside [0, {Classes}).");
        }
    }

    internal void RequireRows()
    {
        if (Rows == 0)
            throw new ArgumentException("The logit matrix has no rows.");
    }
}
