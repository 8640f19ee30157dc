using Distill.Runs;

namespace Distill.Stages.Training;

public static class EpochMetricsExtensions
{
    /// <summary>The named figure of an epoch, NaN when it was not recorded.</summary>
    public static double Metric(this EpochMetrics metrics, string name) =>
        metrics.Values.TryGetValue(name, out var value) ? value : double.NaN;
}
