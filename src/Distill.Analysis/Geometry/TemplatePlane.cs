namespace Distill.Analysis.Geometry;

/// <summary>A penultimate activation projected onto a template plane.</summary>
/// <param name="X">x . u</param>
/// <param name="Y">x . v</param>
public readonly record struct PlanePoint(double X, double Y);

/// <summary>
/// The plane through three class templates w_a, w_b, w_c (rows of the last layer's weight),
/// with an orthonormal basis (u, v) from Gram-Schmidt on d1 = w_b - w_a, d2 = w_c - w_a
/// (Müller et al., 2019, section 2). Projecting a feature x gives (x . u, x . v); distances
/// between points of the plane, in particular between the templates, are preserved.
/// </summary>
public sealed class TemplatePlane
{
    private readonly double[] _u;
    private readonly double[] _v;

    private TemplatePlane(double[] u, double[] v)
    {
        _u = u;
        _v = v;
    }

    /// <summary>Feature dimension D.</summary>
    public int Dimension => _u.Length;

    /// <summary>First basis vector, along w_b - w_a (unit length).</summary>
    public IReadOnlyList<double> U => _u;

    /// <summary>Second basis vector, orthogonal to U within the plane (unit length).</summary>
    public IReadOnlyList<double> V => _v;

    /// <summary>Builds the basis; throws if the three templates are (nearly) collinear and span no plane.</summary>
    public static TemplatePlane FromTemplates(float[] templateA, float[] templateB, float[] templateC)
    {
        ArgumentNullException.ThrowIfNull(templateA);
        ArgumentNullException.ThrowIfNull(templateB);
        ArgumentNullException.ThrowIfNull(templateC);
        int dim = templateA.Length;
        if (dim < 2 || templateB.Length != dim || templateC.Length != dim)
            throw new ArgumentException("Templates must have the same dimension D >= 2.");

        var d1 = new double[dim];
        var d2 = new double[dim];
        for (int i = 0; i < dim; i++)
        {
            d1[i] = (double)templateB[i] - templateA[i];
            d2[i] = (double)templateC[i] - templateA[i];
        }

        double norm1 = Norm(d1);
        if (norm1 == 0)
            throw new ArgumentException("Templates a and b are identical; they do not define a plane.");
        var u = Scale(d1, 1 / norm1);

        // Gram-Schmidt, applied twice ("twice is enough") so v stays orthogonal to u in floating point.
        var v = (double[])d2.Clone();
        for (int pass = 0; pass < 2; pass++)
        {
            double along = Dot(v, u);
            for (int i = 0; i < dim; i++)
                v[i] -= along * u[i];
        }
        double norm2 = Norm(v);
        if (norm2 <= 1e-10 * Math.Max(norm1, Norm(d2)))
            throw new ArgumentException("The three templates are collinear; they do not define a plane.");
        return new TemplatePlane(u, Scale(v, 1 / norm2));
    }

    /// <summary>Projects one feature vector of length D.</summary>
    public PlanePoint Project(ReadOnlySpan<float> feature)
    {
        if (feature.Length != Dimension)
            throw new ArgumentException($"Feature has length {feature.Length}, expected {Dimension}.", nameof(feature));
        double x = 0, y = 0;
        for (int i = 0; i < feature.Length; i++)
        {
            x += feature[i] * _u[i];
            y += feature[i] * _v[i];
        }
        return new PlanePoint(x, y);
    }

    /// <summary>Projects N features stored row-major (N x D), one point per row.</summary>
    public PlanePoint[] ProjectRows(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length % Dimension != 0)
            throw new ArgumentException($"Length {features.Length} is not a multiple of the dimension {Dimension}.", nameof(features));
        var points = new PlanePoint[features.Length / Dimension];
        for (int r = 0; r < points.Length; r++)
            points[r] = Project(features.AsSpan(r * Dimension, Dimension));
        return points;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double[] Scale(double[] a, double factor) => Array.ConvertAll(a, x => x * factor);
}
