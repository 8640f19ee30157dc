namespace Distill.Stages.Training;

/// <summary>The figures recorded at the end of one epoch (epoch is 1-based), by metric name.</summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Values)
{
    public double this[string name] => Values.TryGetValue(name, out var v) ? v : double.NaN;
}
