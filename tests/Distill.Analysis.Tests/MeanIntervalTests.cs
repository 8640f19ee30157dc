using Distill.Analysis.Statistics;

namespace Distill.Analysis.Tests;

public sealed class MeanIntervalTests
{
    [Fact]
    public void Three_values_give_the_t_interval_worked_by_hand()
    {
        // mean 2, sd 1, t(0.975, 2) = 4.302652729911275: 2 +- 4.3027 / sqrt(3) = 2 +- 2.484138
        var interval = MeanInterval.Of([1.0, 2.0, 3.0]);

        Assert.Equal(3, interval.N);
        Assert.Equal(2, interval.Mean, 12);
        Assert.Equal(1, interval.StandardDeviation, 12);
        Assert.Equal(2 - 2.4841377118, interval.Lower, 8);
        Assert.Equal(2 + 2.4841377118, interval.Upper, 8);
        Assert.False(interval.SignificantlyAboveZero);
    }

    [Fact]
    public void A_tight_positive_sample_is_significantly_above_zero_and_one_value_is_never_significant()
    {
        Assert.True(MeanInterval.Of([0.05, 0.06, 0.055, 0.052]).SignificantlyAboveZero);
        Assert.True(MeanInterval.Of([-0.05, -0.06, -0.055]).SignificantlyBelowZero);
        var single = MeanInterval.Of([5.0]);
        Assert.Equal((1, 5.0), (single.N, single.Mean));
        Assert.False(single.SignificantlyAboveZero || single.SignificantlyBelowZero);
        Assert.Equal(0, MeanInterval.Of([]).N);
    }
}
