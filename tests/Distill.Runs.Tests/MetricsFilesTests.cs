using System.Text.Json;

namespace Distill.Runs.Tests;

public class MetricsFilesTests
{
    [Fact]
    public void Csv_has_epoch_first_then_metrics_in_first_seen_order_with_invariant_numbers()
    {
        var epochs = new[]
        {
            new EpochMetrics(1, new Dictionary<string, double> { ["loss"] = 0.5, ["acc"] = 0.875, ["mi_xt"] = 1e-7 }),
            new EpochMetrics(0, new Dictionary<string, double> { ["loss"] = 1.25, ["acc"] = double.NaN }),
            new EpochMetrics(2, new Dictionary<string, double> { ["loss"] = double.PositiveInfinity, ["odd,name"] = -3 }),
        };

        var csv = MetricsFiles.ToCsv(epochs);

        Assert.Equal(
            "epoch,loss,acc,mi_xt,\"odd,name\"\n" +
            "0,1.25,NaN,,\n" +
            "1,0.5,0.875,1E-07,\n" +
            "2,inf,,,-3\n",
            csv);
    }

    [Theory]
    [InlineData("seconds", true)]
    [InlineData("mutual_information_seconds", true)]
    [InlineData("test_accuracy", false)]
    [InlineData("secondsish", false)]
    public void Wall_clock_figures_are_told_from_results(string name, bool timing) =>
        Assert.Equal(timing, MetricNames.IsTiming(name));

    [Fact]
    public void Both_files_land_in_the_stage_folder()
    {
        using var dir = new TempDirectory();
        var stage = StageStore.Under(dir.Path).Entry("k");
        var epochs = new[] { new EpochMetrics(0, new Dictionary<string, double> { ["loss"] = 2.5 }) };

        MetricsFiles.Write(stage, epochs, new Dictionary<string, double> { ["test_acc"] = 0.9 });

        Assert.Equal("epoch,loss\n0,2.5\n", File.ReadAllText(stage.MetricsCsvPath));
        var doc = JsonSerializer.Deserialize<MetricsDocument>(File.ReadAllText(stage.MetricsJsonPath), RunJson.Options)!;
        Assert.Equal(2.5, doc.Epochs.Single().Values["loss"]);
        Assert.Equal(0.9, doc.Final["test_acc"]);
    }
}
