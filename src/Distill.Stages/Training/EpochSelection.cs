using Distill.Runs;

namespace Distill.Stages.Training;

/// <summary>
/// The two epoch rules of the field's tables, from a training run's history: the last epoch (RepDistiller's) and, where
/// a validation split exists, the epoch of best validation accuracy, never one chosen on test (mdistiller picks its
/// best epoch on test, which Distill does not compute).
/// </summary>
public static class EpochSelection
{
    /// <summary>The last epoch's figures (wall time left out: it differs between identical runs).</summary>
    public static Dictionary<string, double> Last(IReadOnlyList<EpochMetrics> history) =>
        history.Count == 0 ? [] : history[^1].Values.Where(kv => kv.Key != MetricNames.Seconds).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>
    /// <see cref="MetricNames.BestValidationEpoch"/> and each validation and test figure at it
    /// (<see cref="MetricNames.AtBestValidation"/>); empty when no evaluated epoch has a validation accuracy.
    /// </summary>
    public static Dictionary<string, double> AtBestValidation(IReadOnlyList<EpochMetrics> history)
    {
        EpochMetrics? best = null;
        foreach (var epoch in history)
            if (epoch.Values.TryGetValue(MetricNames.ValidationAccuracy, out var accuracy) && double.IsFinite(accuracy)
                && (best is null || accuracy > best.Values[MetricNames.ValidationAccuracy]))
                best = epoch;
        if (best is null) return [];
        var figures = best.Values.Where(kv => kv.Key.StartsWith("validation_", StringComparison.Ordinal) || kv.Key.StartsWith("test_", StringComparison.Ordinal))
            .ToDictionary(kv => MetricNames.AtBestValidation(kv.Key), kv => kv.Value);
        figures[MetricNames.BestValidationEpoch] = best.Epoch;
        return figures;
    }
}
