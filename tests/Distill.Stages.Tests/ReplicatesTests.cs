using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>How replicates are shown: a cell's mean and interval, a curve's band, a label that says each fact once.</summary>
public sealed class ReplicatesTests
{
    [Fact]
    public void A_cell_is_the_mean_with_its_interval_or_the_single_value()
    {
        Assert.Equal("2.000 [-0.484, 4.484]", Replicates.Cell([1.0, 2.0, 3.0], ReportFormat.F3)); // t(0.975, 2) sd / sqrt(3) = 2.484
        Assert.Equal("0.500", Replicates.Cell([0.5, double.NaN], ReportFormat.F3));
        Assert.Equal("n/a", Replicates.Cell([], ReportFormat.F3));
    }

    [Fact]
    public void A_band_averages_points_sharing_a_key_and_spans_their_interval()
    {
        var band = Replicates.Band("t", [(1, 0.10, 1.0), (1, 0.20, 2.0), (1, 0.30, 3.0), (2, 0.5, 4.0), (2, 0.5, 4.0), (2, 0.5, 4.0)])!;
        Assert.Equal([0.2, 0.5], band.X.Select(x => Math.Round(x, 12)));
        Assert.Equal([2.0, 4.0], band.Y);
        Assert.Equal(2 - 2.4841377118, band.Lower![0], 8);
        Assert.Equal(4.0, band.Upper![1], 12);
        Assert.Null(Replicates.Band("none", [(1.0, double.NaN)]));
        Assert.Null(Replicates.Band("single", [(1.0, 1.0)])!.Lower); // one seed: a line without a band
    }

    [Fact]
    public void An_accuracy_band_is_clipped_to_what_an_accuracy_can_be()
    {
        // Three seeds far apart: the t-interval runs from about -0.36 to 1.69.
        var band = Replicates.Band("acc", [(1.0, 0.2), (1.0, 0.7), (1.0, 1.0)], Replicates.AccuracyRange)!;
        var open = Replicates.Band("acc", [(1.0, 0.2), (1.0, 0.7), (1.0, 1.0)])!;

        Assert.True(open.Lower![0] < 0 && open.Upper![0] > 1);
        Assert.Equal((0.0, 1.0), (band.Lower![0], band.Upper![0]));
        Assert.Equal(open.Y, band.Y); // the mean itself is not moved
    }

    [Fact]
    public void A_label_adds_only_the_facts_the_group_name_does_not_state()
    {
        Assert.Equal("teacher (alpha 0.1)", Replicates.Label("teacher (alpha 0.1)", ("alpha", 0.1)));
        Assert.Equal("teacher-0.1 (alpha 0.1)", Replicates.Label("teacher-0.1", ("alpha", 0.1)));
        Assert.Equal("student (temperature 4) (teacher alpha 0)", Replicates.Label("student (temperature 4)", ("teacher alpha", 0), ("temperature", 4)));
    }
}
