using System.Globalization;
using Distill.Analysis.Calibration;
using ScottPlot;

namespace Distill.Analysis.Plotting;

/// <summary>
/// Reliability diagram (Guo et al., 2017): per-bin accuracy as bars over the confidence axis,
/// the diagonal a perfectly calibrated model would follow, and the share of examples in each
/// bin as narrow grey bars so sparsely populated bins are visible. The ECE is in the title.
/// </summary>
public static class ReliabilityDiagramPlot
{
    /// <summary>Renders the diagram; <paramref name="title"/> gets " (ECE = ...)" appended. Returns PNG bytes.</summary>
    public static byte[] Render(ReliabilityDiagramData data, string title, FigureSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);

        using var plot = new Plot();
        int m = data.Bins.Count;
        double width = 1.0 / Math.Max(m, 1);

        var accuracyBars = new List<Bar>();
        var shareBars = new List<Bar>();
        foreach (ReliabilityBin bin in data.Bins)
        {
            double centre = (bin.Lower + bin.Upper) / 2;
            if (!bin.IsEmpty)
            {
                accuracyBars.Add(new Bar
                {
                    Position = centre,
                    Value = bin.Accuracy,
                    Size = width * 0.95,
                    FillColor = PlotStyle.SeriesColor(0).WithAlpha(0.8),
                    LineColor = PlotStyle.SeriesColor(0),
                });
            }
            double share = data.ExampleCount == 0 ? 0 : (double)bin.Count / data.ExampleCount;
            shareBars.Add(new Bar
            {
                Position = centre,
                Value = share,
                Size = width * 0.35,
                FillColor = Colors.DimGray.WithAlpha(0.75),
                LineWidth = 0,
                // The count itself, printed above the grey bar, for bins that hold any examples.
                Label = bin.IsEmpty ? string.Empty : bin.Count.ToString(CultureInfo.InvariantCulture),
            });
        }

        var accuracy = plot.Add.Bars(accuracyBars);
        accuracy.LegendText = "Accuracy in bin";
        var shares = plot.Add.Bars(shareBars);
        shares.LegendText = "Share of examples (count above)";
        shares.ValueLabelStyle.FontSize = 11;
        shares.ValueLabelStyle.ForeColor = Colors.DimGray;

        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Black;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.LegendText = "Perfect calibration";

        string ece = data.ExpectedCalibrationError.ToString("0.000", CultureInfo.InvariantCulture);
        PlotStyle.Decorate(plot, $"{title} (ECE = {ece}, {m} bins)", "Confidence (max softmax probability)", "Accuracy");
        plot.Axes.SetLimits(0, 1, 0, 1.05);
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotStyle.ToPng(plot, size ?? FigureSize.Default);
    }
}
