using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Distill.Stages.Training;

/// <summary>
/// Writes per-epoch metrics as `metrics.csv` (first column `epoch`, invariant culture) and
/// `metrics.json` (a list of {epoch, name: value...}); see docs/formats.md.
/// </summary>
public static class MetricsFiles
{
    public static void Write(string directory, IReadOnlyList<EpochMetrics> history)
    {
        Directory.CreateDirectory(directory);
        var names = history.SelectMany(m => m.Values.Keys).Distinct().ToList();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', new[] { "epoch" }.Concat(names)));
        foreach (var m in history)
            csv.AppendLine(string.Join(',', new[] { m.Epoch.ToString(CultureInfo.InvariantCulture) }
                .Concat(names.Select(n => m[n].ToString("R", CultureInfo.InvariantCulture)))));
        WriteAtomically(Path.Combine(directory, "metrics.csv"), csv.ToString());

        var rows = history.Select(m =>
        {
            var row = new Dictionary<string, object> { ["epoch"] = m.Epoch };
            foreach (var (k, v) in m.Values) row[k] = double.IsFinite(v) ? v : (object)v.ToString(CultureInfo.InvariantCulture);
            return row;
        });
        WriteAtomically(Path.Combine(directory, "metrics.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static List<EpochMetrics> Read(string directory)
    {
        var path = Path.Combine(directory, "metrics.csv");
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var cells = line.Split(',');
            var values = new Dictionary<string, double>();
            for (int i = 1; i < header.Length; i++) values[header[i]] = double.Parse(cells[i], CultureInfo.InvariantCulture);
            return new EpochMetrics(int.Parse(cells[0], CultureInfo.InvariantCulture), values);
        }).ToList();
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
