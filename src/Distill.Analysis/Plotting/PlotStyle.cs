using ScottPlot;

namespace Distill.Analysis.Plotting;

/// <summary>Shared look of every figure, so a report reads as one document.</summary>
internal static class PlotStyle
{
    public const float TitleSize = 18, LabelSize = 15;

    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>Series colour i, the same for the same index in every figure (class a is always blue).</summary>
    public static Color SeriesColor(int index) => Palette.GetColor(index);

    public static void Decorate(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.Title(title, TitleSize);
        plot.XLabel(xLabel, LabelSize);
        plot.YLabel(yLabel, LabelSize);
    }

    public static byte[] ToPng(Plot plot, FigureSize size)
    {
        size.Validate();
        return plot.GetImageBytes(size.Width, size.Height, ImageFormat.Png);
    }
}
