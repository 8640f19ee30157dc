using Distill.Analysis.Geometry;
using ScottPlot;

namespace Distill.Analysis.Plotting;

/// <summary>Projected examples of one class (drawn in the colour of its position in the panel's list).</summary>
public sealed record ProjectedClass(string Name, IReadOnlyList<PlanePoint> Points);

/// <summary>One scatter panel of the template-plane projection, e.g. "Training, alpha = 0.1".</summary>
public sealed record ProjectionPanel(string Title, IReadOnlyList<ProjectedClass> Classes);

/// <summary>
/// Scatter plots of penultimate activations projected onto the plane of three class templates
/// (Müller et al., 2019, Fig. 1): one panel, or the 2 x 2 figure training/validation x
/// without/with label smoothing.
/// </summary>
public static class ProjectionPlot
{
    private const string AxisX = "Projection on u (along w_b - w_a)";
    private const string AxisY = "Projection on v (orthogonal, in plane)";

    /// <summary>Renders one panel; returns PNG bytes.</summary>
    public static byte[] Render(ProjectionPanel panel, FigureSize? size = null)
    {
        using Plot plot = BuildPanel(panel);
        return PlotStyle.ToPng(plot, size ?? FigureSize.Default);
    }

    /// <summary>
    /// Renders four panels in a 2 x 2 grid, row-major: conventionally
    /// [training without smoothing, training with smoothing, validation without, validation with].
    /// Returns PNG bytes.
    /// </summary>
    public static byte[] RenderGrid(IReadOnlyList<ProjectionPanel> panels, FigureSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count != 4)
            throw new ArgumentException($"The grid figure needs exactly 4 panels, got {panels.Count}.", nameof(panels));
        FigureSize figure = size ?? FigureSize.Grid;
        figure.Validate();

        var plots = panels.Select(BuildPanel).ToList();
        try
        {
            var multiplot = new Multiplot();
            multiplot.Reset(plots[0]);
            foreach (Plot plot in plots.Skip(1))
                multiplot.AddPlot(plot);
            multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
            using ScottPlot.Image image = multiplot.Render(figure.Width, figure.Height);
            return image.GetImageBytes(ImageFormat.Png);
        }
        finally
        {
            foreach (Plot plot in plots)
                plot.Dispose();
        }
    }

    private static Plot BuildPanel(ProjectionPanel panel)
    {
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentException.ThrowIfNullOrWhiteSpace(panel.Title);
        ArgumentNullException.ThrowIfNull(panel.Classes);
        if (panel.Classes.Count == 0)
            throw new ArgumentException($"Panel '{panel.Title}' has no classes.");

        var plot = new Plot();
        for (int c = 0; c < panel.Classes.Count; c++)
        {
            ProjectedClass cls = panel.Classes[c];
            double[] xs = cls.Points.Select(p => p.X).ToArray();
            double[] ys = cls.Points.Select(p => p.Y).ToArray();
            var scatter = plot.Add.ScatterPoints(xs, ys, PlotStyle.SeriesColor(c));
            scatter.MarkerSize = 6;
            scatter.LegendText = cls.Name;
        }
        PlotStyle.Decorate(plot, panel.Title, AxisX, AxisY);
        // Equal units on both axes, so equal distances in the plane look equal (the paper's point).
        plot.Axes.SquareUnits();
        plot.ShowLegend(Edge.Right); // outside, so no point is hidden
        return plot;
    }
}
