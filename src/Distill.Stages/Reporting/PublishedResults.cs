using System.Globalization;

namespace Distill.Stages.Reporting;

/// <summary>One setting's published top-1 accuracy: in percent, the epoch rule of the table it is from, and that table.</summary>
public sealed record PublishedResult(string Setting, double Top1, string Rule, string Source)
{
    /// <summary>"70.66 (last epoch)": the figure and its rule, for a table cell.</summary>
    public string Cell => $"{Top1.ToString("0.00", CultureInfo.InvariantCulture)} ({Rule})";
}

/// <summary>
/// The published numbers a report sets beside Distill's (`published:` of a report stage): a CSV of
/// <c>setting,top1,rule,source</c> rows, one per replicate group (a stage id without its seed), top-1 in percent.
/// </summary>
public sealed class PublishedResults
{
    public static readonly PublishedResults None = new(new Dictionary<string, PublishedResult>());

    private readonly IReadOnlyDictionary<string, PublishedResult> _bySetting;

    private PublishedResults(IReadOnlyDictionary<string, PublishedResult> bySetting) => _bySetting = bySetting;

    public PublishedResult? Of(string setting) => _bySetting.GetValueOrDefault(setting);

    /// <summary>Whether any of <paramref name="settings"/> has a published number.</summary>
    public bool AnyOf(IEnumerable<string> settings) => settings.Any(_bySetting.ContainsKey);

    /// <summary>" Published: top-1 % from RepDistiller's README (last epoch), ...": the sources of the rows shown.</summary>
    public string Caption(IEnumerable<string> settings)
    {
        var sources = settings.Select(Of).OfType<PublishedResult>().Select(r => $"{r.Source} ({r.Rule})").Distinct().ToList();
        return sources.Count == 0 ? "" : $" Published: top-1 % as published, from {string.Join("; ", sources)}.";
    }

    /// <summary><paramref name="headers"/> with a last "Published" column where <paramref name="applies"/>.</summary>
    public IReadOnlyList<string> Headers(IReadOnlyList<string> headers, bool applies) => applies ? [.. headers, "Published"] : headers;

    /// <summary>A row with the setting's published cell ("" when it has none) where <paramref name="applies"/>.</summary>
    public IReadOnlyList<string> Row(IReadOnlyList<string> row, string setting, bool applies) => applies ? [.. row, Of(setting)?.Cell ?? ""] : row;

    public static PublishedResults Read(string path)
    {
        var rows = new Dictionary<string, PublishedResult>();
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != "setting,top1,rule,source")
            throw new InvalidDataException($"{path}: the first line must be 'setting,top1,rule,source'");
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var cells = lines[i].Split(',', 4, StringSplitOptions.TrimEntries);
            if (cells.Length != 4 || !double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var top1))
                throw new InvalidDataException($"{path}:{i + 1}: expected setting,top1,rule,source with top1 a number, got '{lines[i]}'");
            if (!rows.TryAdd(cells[0], new PublishedResult(cells[0], top1, cells[2], cells[3])))
                throw new InvalidDataException($"{path}:{i + 1}: setting '{cells[0]}' is listed twice");
        }
        return new PublishedResults(rows);
    }
}
