using Distill.Runs;
using Distill.Stages.Training;

namespace Distill.Stages.Tests;

/// <summary>The last epoch and the epoch of best validation accuracy, never one chosen on test.</summary>
public sealed class EpochSelectionTests
{
    private static EpochMetrics Epoch(int epoch, double? validation, double test, double seconds = 3) => new(epoch,
        new Dictionary<string, double>
        {
            [MetricNames.TestAccuracy] = test, [MetricNames.Seconds] = seconds, [MetricNames.TrainLoss] = 1.0 / epoch,
        }.Concat(validation is { } v ? [KeyValuePair.Create(MetricNames.ValidationAccuracy, v)] : []).ToDictionary());

    [Fact]
    public void The_best_validation_epoch_is_picked_on_validation_first_on_ties_and_carries_its_test_figures()
    {
        // Test accuracy peaks at epoch 4; validation at epochs 2 and 3 (a tie: the first wins).
        var history = new[] { Epoch(1, 0.50, 0.40), Epoch(2, 0.70, 0.55), Epoch(3, 0.70, 0.60), Epoch(4, 0.65, 0.70), Epoch(5, 0.60, 0.52) };
        var best = EpochSelection.AtBestValidation(history);
        Assert.Equal(2, best[MetricNames.BestValidationEpoch]);
        Assert.Equal(0.55, best[MetricNames.AtBestValidation(MetricNames.TestAccuracy)]);
        Assert.Equal(0.70, best[MetricNames.AtBestValidation(MetricNames.ValidationAccuracy)]);
        Assert.False(best.ContainsKey(MetricNames.AtBestValidation(MetricNames.TrainLoss)));
        var last = EpochSelection.Last(history);
        Assert.Equal(0.52, last[MetricNames.TestAccuracy]);
        Assert.False(last.ContainsKey(MetricNames.Seconds));
    }

    [Fact]
    public void Without_a_validation_split_there_is_no_best_epoch()
    {
        Assert.Empty(EpochSelection.AtBestValidation([Epoch(1, null, 0.4), Epoch(2, null, 0.5)]));
        Assert.Empty(EpochSelection.AtBestValidation([]));
    }
}
