using System.Globalization;
using System.Text;

namespace Distill.Runs;

/// <summary>The contents of a stage's <c>metrics.json</c>: per-epoch metrics and the final ones.</summary>
public sealed record MetricsDocument(int FormatVersion, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyDictionary<string, double> Final)
{
    public const int CurrentFormatVersion = 1;
}

/// <summary>
/// Writes a stage's <c>metrics.csv</c> and <c>metrics.json</c> (the contract in docs/formats.md), atomically.
/// The CSV's first column is <c>epoch</c>; the others are metric names in order of first appearance; numbers are
/// invariant-culture, round-trippable; an epoch without some metric leaves its cell empty.
/// </summary>
public static class MetricsFiles
{
    /// <summary>Writes both files into the stage folder.</summary>
    public static void Write(StageDirectory stage, IReadOnlyList<EpochMetrics> epochs, IReadOnlyDictionary<string, double>? final = null)
    {
        ArgumentNullException.ThrowIfNull(stage);
        Directory.CreateDirectory(stage.RootPath);
        AtomicFile.WriteAllText(stage.MetricsCsvPath, ToCsv(epochs));
        AtomicFile.WriteJson(stage.MetricsJsonPath, new MetricsDocument(MetricsDocument.CurrentFormatVersion,
            epochs.OrderBy(e => e.Epoch).ToList(), final ?? new Dictionary<string, double>()));
    }

    /// <summary>The CSV text: header line, then one line per epoch in epoch order, '\n' line ends.</summary>
    public static string ToCsv(IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in epochs.SelectMany(e => e.Values.Keys))
            if (seen.Add(name)) names.Add(name);

        var csv = new StringBuilder("epoch");
        foreach (var name in names) csv.Append(',').Append(Quote(name));
        csv.Append('\n');
        foreach (var epoch in epochs.OrderBy(e => e.Epoch))
        {
            csv.Append(epoch.Epoch.ToString(CultureInfo.InvariantCulture));
            foreach (var name in names)
            {
                csv.Append(',');
                if (epoch.Values.TryGetValue(name, out var value)) csv.Append(FormatNumber(value));
            }
            csv.Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>Shortest round-trip text; non-finite values as NaN, inf, -inf (what Python and pandas parse).</summary>
    public static string FormatNumber(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
