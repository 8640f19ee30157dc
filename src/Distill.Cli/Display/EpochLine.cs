using System.Globalization;
using Distill.Runs;
using Distill.Stages.Training;

namespace Distill.Cli.Display;

/// <summary>One human-readable line per finished epoch.</summary>
internal static class EpochLine
{
    public static string Format(string label, EpochMetrics m, int epochs)
    {
        var parts = new List<string> { $"{label} epoch {m.Epoch}/{epochs}", $"loss {m.Metric("train_loss"):F3}" };
        if (m.Values.ContainsKey("validation_accuracy")) parts.Add($"val acc {m.Metric("validation_accuracy"):P2}");
        if (m.Values.ContainsKey("test_accuracy")) parts.Add($"test acc {m.Metric("test_accuracy"):P2}");
        if (m.Values.TryGetValue("mutual_information", out var mi)) parts.Add($"MI {mi:F3} nats");
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{m.Metric("seconds"):F0} s"));
        return string.Join("  ", parts);
    }
}
