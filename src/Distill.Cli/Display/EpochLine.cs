using System.Globalization;
using Distill.Runs;
using Distill.Stages.Training;

namespace Distill.Cli.Display;

/// <summary>One human-readable line per finished epoch.</summary>
internal static class EpochLine
{
    public static string Format(string label, EpochMetrics m, int epochs)
    {
        var parts = new List<string> { $"{label} epoch {m.Epoch}/{epochs}", $"loss {m.Metric(MetricNames.TrainLoss):F3}" };
        if (m.Values.ContainsKey(MetricNames.ValidationAccuracy)) parts.Add($"val acc {m.Metric(MetricNames.ValidationAccuracy):P2}");
        if (m.Values.ContainsKey(MetricNames.TestAccuracy)) parts.Add($"test acc {m.Metric(MetricNames.TestAccuracy):P2}");
        if (m.Values.TryGetValue(MetricNames.MutualInformation, out var mi)) parts.Add($"MI {mi:F3} nats");
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{m.Metric(MetricNames.Seconds):F0} s"));
        return string.Join("  ", parts);
    }
}
