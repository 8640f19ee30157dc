using Distill.Analysis.Plotting;
using Distill.Analysis.Statistics;

namespace Distill.Stages.Reporting;

/// <summary>
/// Replicates of one setting shown together: a table cell is the mean with its 95 % interval over the seeds
/// ("89.1 % [88.7 %, 89.5 %]"), a curve the mean with a band. A setting run once shows its single value.
/// </summary>
public static class Replicates
{
    /// <summary>Results grouped by <see cref="IReplicated.Group"/>, groups in order of first appearance, seeds in order.</summary>
    public static IReadOnlyList<IReadOnlyList<T>> Groups<T>(IEnumerable<T> results) where T : IReplicated =>
        results.GroupBy(r => r.Group).Select(g => (IReadOnlyList<T>)g.OrderBy(r => r.Replicate).ToList()).ToList();

    /// <summary>The mean and, with two or more values, its 95 % interval.</summary>
    public static string Cell(IEnumerable<double> values, Func<double, string> format)
    {
        var interval = MeanInterval.Of(values.Where(double.IsFinite));
        if (interval.N == 0) return "n/a";
        return interval.N == 1 ? format(interval.Mean) : $"{format(interval.Mean)} [{format(interval.Lower)}, {format(interval.Upper)}]";
    }

    /// <summary>
    /// A legend label: the group's name, then each fact the name does not already state, e.g. "teacher-0.0 (alpha 0)"
    /// for a stage run once, but just "teacher (alpha 0)" for a replicated group whose name holds its matrix values.
    /// </summary>
    public static string Label(string group, params (string Name, double Value)[] facts)
    {
        var missing = facts.Where(f => !group.Contains(f.Name + " ", StringComparison.Ordinal)).Select(f => $"{f.Name} {ReportFormat.F(f.Value)}").ToList();
        return missing.Count == 0 ? group : $"{group} ({string.Join(", ", missing)})";
    }

    /// <summary>"1: 89.2 %, 2: 88.9 %, 3: 89.4 %"; empty for a setting run once.</summary>
    public static string PerSeed<T>(IReadOnlyList<T> group, Func<T, double> metric, Func<double, string> format) where T : IReplicated =>
        group.Count == 1 && group[0].Replicate is null ? "" : string.Join(", ", group.Select(r => $"{r.Replicate}: {format(metric(r))}"));

    /// <summary>What an accuracy can be: bands are clipped to it (a t-interval over 3 seeds easily leaves it).</summary>
    public static readonly (double Min, double Max) AccuracyRange = (0, 1);

    /// <summary>
    /// A curve through the mean of the points sharing a key (an epoch, a temperature), at the mean x of those points, with
    /// the 95 % interval of y as its band where two or more seeds contribute; null when no point is finite. With
    /// <paramref name="range"/>, the band is clipped to the values y can take.
    /// </summary>
    public static LineSeries? Band(string name, IEnumerable<(double Key, double X, double Y)> points, (double Min, double Max)? range = null)
    {
        var groups = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).GroupBy(p => p.Key)
            .Select(g => (X: g.Average(p => p.X), Y: MeanInterval.Of(g.Select(p => p.Y))))
            .OrderBy(g => g.X).ToList();
        if (groups.Count == 0) return null;
        var series = new LineSeries(name, groups.Select(g => g.X).ToList(), groups.Select(g => g.Y.Mean).ToList());
        if (!groups.All(g => g.Y.N >= 2)) return series;
        double Clip(double v) => range is { } r ? Math.Clamp(v, r.Min, r.Max) : v;
        return series with { Lower = groups.Select(g => Clip(g.Y.Lower)).ToList(), Upper = groups.Select(g => Clip(g.Y.Upper)).ToList() };
    }

    /// <summary>A band over points keyed by their own x (epochs, temperatures).</summary>
    public static LineSeries? Band(string name, IEnumerable<(double X, double Y)> points, (double Min, double Max)? range = null) =>
        Band(name, points.Select(p => (p.X, p.X, p.Y)), range);
}
