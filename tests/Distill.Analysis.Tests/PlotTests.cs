using System.Buffers.Binary;
using Distill.Analysis.Calibration;
using Distill.Analysis.Geometry;
using Distill.Analysis.Plotting;

namespace Distill.Analysis.Tests;

public sealed class PlotTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "distill-analysis-plots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Writes the PNG to disk, reads it back and checks signature, size and IHDR dimensions.</summary>
    private void AssertWritesPng(byte[] png, string name, int width, int height)
    {
        string path = PngImage.Write(Path.Combine(_folder, name), png);
        byte[] back = File.ReadAllBytes(path);
        Assert.True(PngImage.HasPngSignature(back), "missing PNG signature");
        Assert.True(back.Length > 5_000, $"PNG is only {back.Length} bytes");
        // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(back.AsSpan(16, 4)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(back.AsSpan(20, 4)));
    }

    private static ProjectionPanel Panel(string title, int seed, double spread)
    {
        var rng = new Random(seed);
        string[] names = ["airplane", "automobile", "bird"];
        (double X, double Y)[] centres = [(0, 0), (4, 0), (2, 3.5)];
        var classes = names.Select((name, c) => new ProjectedClass(
            name,
            Enumerable.Range(0, 30)
                .Select(_ => new PlanePoint(centres[c].X + spread * TestData.Gaussian(rng), centres[c].Y + spread * TestData.Gaussian(rng)))
                .ToList())).ToList();
        return new ProjectionPanel(title, classes);
    }

    [Fact]
    public void Reliability_diagram_writes_a_png()
    {
        var rng = new Random(1);
        var logits = new LogitMatrix(TestData.RandomLogits(rng, 300, 4, 3.0), 4);
        int[] labels = TestData.RandomLabels(rng, 300, 4);
        ReliabilityDiagramData data = CalibrationMetrics.Reliability(logits, labels);
        AssertWritesPng(ReliabilityDiagramPlot.Render(data, "Baseline, validation"), "reliability.png", 800, 600);
    }

    [Fact]
    public void Projection_panel_and_grid_write_pngs()
    {
        AssertWritesPng(ProjectionPlot.Render(Panel("Training, alpha = 0", 1, 1.0)), "projection.png", 800, 600);

        ProjectionPanel[] panels =
        [
            Panel("Training, alpha = 0", 1, 1.0), Panel("Training, alpha = 0.1", 2, 0.3),
            Panel("Validation, alpha = 0", 3, 1.2), Panel("Validation, alpha = 0.1", 4, 0.5),
        ];
        AssertWritesPng(ProjectionPlot.RenderGrid(panels), "projection-grid.png", FigureSize.Grid.Width, FigureSize.Grid.Height);
        Assert.Throws<ArgumentException>(() => ProjectionPlot.RenderGrid(panels.Take(3).ToList()));
    }

    [Fact]
    public void Line_charts_write_pngs()
    {
        double[] epochs = [1, 2, 3, 4, 5];
        byte[] mi = LineChart.Render(
            "Mutual information per epoch",
            "Epoch",
            "I(X; Y) (nats)",
            [new LineSeries("alpha = 0", epochs, [2.1, 3.0, 3.4, 3.6, 3.7]), new LineSeries("alpha = 0.1", epochs, [2.0, 2.6, 2.0, 1.4, 0.9])],
            [new ReferenceLine("log N", Math.Log(600)), new ReferenceLine("log 2", Math.Log(2))]);
        AssertWritesPng(mi, "mi.png", 800, 600);

        byte[] accuracy = LineChart.Render(
            "Student accuracy vs teacher temperature",
            "Temperature T",
            "Student top-1 accuracy",
            [new LineSeries("hard-target teacher", [1, 2, 4, 8, 16], [0.80, 0.82, 0.83, 0.82, 0.80])],
            size: new FigureSize(640, 480));
        AssertWritesPng(accuracy, "accuracy-vs-t.png", 640, 480);

        Assert.Throws<ArgumentException>(() => LineChart.Render("t", "x", "y", [new LineSeries("bad", [1, 2], [1])]));
        Assert.Throws<ArgumentException>(() => LineChart.Render("t", "x", "y", []));
    }

    [Fact]
    public void A_fitted_axis_spans_the_curves_and_bands_not_far_reference_lines()
    {
        var series = new[] { new LineSeries("mi", [1, 2, 3], [0.80, 0.75, 0.72]) { Lower = [0.70, 0.68, 0.66], Upper = [0.90, 0.82, 0.78] } };

        var (low, high) = LineChart.DataRange(series);

        Assert.Equal(0.66 - 0.05, low, 12);  // padding: at least 0.05
        Assert.Equal(0.90 + 0.05, high, 12);
        Assert.True(high < Math.Log(600), "log N would flatten the curves");
        Assert.Equal((0.0, 1.0), LineChart.DataRange([]));
    }
}
