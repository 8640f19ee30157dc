namespace Distill.Analysis.Plotting;

/// <summary>Pixel size of a rendered figure.</summary>
public readonly record struct FigureSize(int Width, int Height)
{
    /// <summary>800 x 600: readable in a report at a glance.</summary>
    public static FigureSize Default { get; } = new(800, 600);

    /// <summary>Size for the 2 x 2 projection figure.</summary>
    public static FigureSize Grid { get; } = new(1200, 1000);

    internal void Validate()
    {
        if (Width < 50 || Height < 50 || Width > 10_000 || Height > 10_000)
            throw new ArgumentOutOfRangeException(nameof(FigureSize), this, "Figure sides must be within [50, 10000] pixels.");
    }
}
