using Distill.Analysis.Geometry;

namespace Distill.Analysis.Tests;

public class TemplatePlaneTests
{
    private static float[] RandomVector(Random rng, int dim) =>
        Enumerable.Range(0, dim).Select(_ => (float)TestData.Gaussian(rng)).ToArray();

    private static double Distance(float[] a, float[] b) =>
        Math.Sqrt(a.Zip(b, (x, y) => ((double)x - y) * ((double)x - y)).Sum());

    private static double Distance(PlanePoint a, PlanePoint b) => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 192)]
    public void Basis_is_orthonormal(int seed, int dim)
    {
        var rng = new Random(seed);
        TemplatePlane plane = TemplatePlane.FromTemplates(RandomVector(rng, dim), RandomVector(rng, dim), RandomVector(rng, dim));
        double uu = plane.U.Zip(plane.U, (a, b) => a * b).Sum();
        double vv = plane.V.Zip(plane.V, (a, b) => a * b).Sum();
        double uv = plane.U.Zip(plane.V, (a, b) => a * b).Sum();
        Assert.Equal(1.0, uu, 12);
        Assert.Equal(1.0, vv, 12);
        Assert.Equal(0.0, uv, 12);
    }

    [Theory]
    [InlineData(4, 3)]
    [InlineData(5, 64)]
    public void Templates_project_with_their_pairwise_distances(int seed, int dim)
    {
        var rng = new Random(seed);
        float[] a = RandomVector(rng, dim), b = RandomVector(rng, dim), c = RandomVector(rng, dim);
        TemplatePlane plane = TemplatePlane.FromTemplates(a, b, c);
        PlanePoint pa = plane.Project(a), pb = plane.Project(b), pc = plane.Project(c);

        Assert.Equal(Distance(a, b), Distance(pa, pb), 5);
        Assert.Equal(Distance(a, c), Distance(pa, pc), 5);
        Assert.Equal(Distance(b, c), Distance(pb, pc), 5);
    }

    [Fact]
    public void Batch_projection_matches_single_projection_and_ignores_off_plane_directions()
    {
        // Templates in the (e0, e1) plane of R^4: u = e0, v = e1.
        TemplatePlane plane = TemplatePlane.FromTemplates([0, 0, 0, 0], [2, 0, 0, 0], [1, 3, 0, 0]);
        float[] features = [1, 2, 5, -7, 3, -1, 0, 9];
        PlanePoint[] points = plane.ProjectRows(features);
        Assert.Equal(new PlanePoint(1, 2), points[0]);
        Assert.Equal(new PlanePoint(3, -1), points[1]);
        Assert.Equal(plane.Project(features.AsSpan(4, 4)), points[1]);
    }

    [Fact]
    public void Collinear_or_mismatched_templates_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => TemplatePlane.FromTemplates([0, 0, 0], [1, 1, 1], [2, 2, 2]));
        Assert.Throws<ArgumentException>(() => TemplatePlane.FromTemplates([1, 2, 3], [1, 2, 3], [0, 1, 0]));
        Assert.Throws<ArgumentException>(() => TemplatePlane.FromTemplates([1, 2, 3], [1, 2], [0, 1, 0]));
        TemplatePlane plane = TemplatePlane.FromTemplates([0, 0, 0], [1, 0, 0], [0, 1, 0]);
        Assert.Throws<ArgumentException>(() => plane.Project(new float[4]));
    }
}
