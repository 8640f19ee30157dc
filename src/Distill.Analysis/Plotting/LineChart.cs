using ScottPlot;

namespace Distill.Analysis.Plotting;

/// <summary>One named curve of a line chart: Y[i] at X[i], with an optional band from Lower[i] to Upper[i] (an interval).</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    public IReadOnlyList<double>? Lower { get; init; }

    public IReadOnlyList<double>? Upper { get; init; }

    /// <summary>Drawn only where both ends are known at every point.</summary>
    internal bool HasBand => Lower is { } lo && Upper is { } hi && lo.Count == X.Count && hi.Count == X.Count && lo.Concat(hi).All(double.IsFinite);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        ArgumentNullException.ThrowIfNull(X);
        ArgumentNullException.ThrowIfNull(Y);
        if (X.Count != Y.Count)
            throw new ArgumentException($"Series '{Name}' has {X.Count} x values but {Y.Count} y values.");
        if (X.Count == 0)
            throw new ArgumentException($"Series '{Name}' is empty.");
    }
}

/// <summary>Optional horizontal reference line (for example log N or log 2 on a mutual-information chart).</summary>
public sealed record ReferenceLine(string Name, double Y);

/// <summary>
/// Line charts with several named series: training curves, mutual information per epoch,
/// student accuracy against teacher temperature or smoothness index gamma.
/// </summary>
public static class LineChart
{
    /// <summary>Renders the series as lines with markers and a legend; returns PNG bytes.</summary>
    /// <param name="fitToData">
    /// The y axis spans the data (curves and bands), not the reference lines: a line off the axis stays in the legend,
    /// marked as such (mutual information near log 2 would otherwise be flat under a log N far above it).
    /// </param>
    public static byte[] Render(
        string title,
        string xLabel,
        string yLabel,
        IReadOnlyList<LineSeries> series,
        IReadOnlyList<ReferenceLine>? referenceLines = null,
        FigureSize? size = null,
        bool fitToData = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
            throw new ArgumentException("Need at least one series.", nameof(series));

        using var plot = new Plot();
        for (int s = 0; s < series.Count; s++)
        {
            LineSeries line = series[s];
            line.Validate();
            if (line.HasBand)
            {
                var band = plot.Add.FillY(line.X.ToArray(), line.Lower!.ToArray(), line.Upper!.ToArray());
                band.FillColor = PlotStyle.SeriesColor(s).WithAlpha(.2);
                band.LineWidth = 0;
            }
            var scatter = plot.Add.Scatter(line.X.ToArray(), line.Y.ToArray(), PlotStyle.SeriesColor(s));
            scatter.LegendText = line.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
        }

        (double Low, double High)? limits = fitToData ? DataRange(series) : null;
        if (referenceLines is not null)
        {
            // Grey shades and patterns keep reference lines apart from each other and from the data colours.
            Color[] shades = [Colors.DimGray, Colors.DarkGray, Colors.Black];
            LinePattern[] patterns = [LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
            for (int r = 0; r < referenceLines.Count; r++)
            {
                ReferenceLine reference = referenceLines[r];
                var h = plot.Add.HorizontalLine(reference.Y, 1.5f, shades[r % shades.Length], patterns[r % patterns.Length]);
                h.LegendText = limits is { } l && (reference.Y < l.Low || reference.Y > l.High)
                    ? $"{reference.Name} ({(reference.Y > l.High ? "above" : "below")} the axis)"
                    : reference.Name;
            }
        }

        PlotStyle.Decorate(plot, title, xLabel, yLabel);
        if (limits is { } range) plot.Axes.SetLimitsY(range.Low, range.High);
        // Epochs and temperatures are whole numbers: no ticks at 1.2, 1.4...
        if (series.All(l => l.X.All(x => x == Math.Round(x))))
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Outside the data area: a legend inside would hide the end of some curve.
        plot.ShowLegend(Edge.Right);
        return PlotStyle.ToPng(plot, size ?? FigureSize.Default);
    }

    /// <summary>The span of every finite y, band ends included, with 8 % padding (at least 0.05 either side).</summary>
    public static (double Low, double High) DataRange(IReadOnlyList<LineSeries> series)
    {
        var values = series.SelectMany(s => s.Y.Concat(s.HasBand ? s.Lower!.Concat(s.Upper!) : [])).Where(double.IsFinite).ToList();
        if (values.Count == 0) return (0, 1);
        double low = values.Min(), high = values.Max();
        double pad = Math.Max(0.05, 0.08 * (high - low));
        return (low - pad, high + pad);
    }
}
