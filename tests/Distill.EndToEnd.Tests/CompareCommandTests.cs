using System.Text.Json;
using Distill.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>`distill compare` on two real runs of the smoke pipeline that differ in one setting.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class CompareCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private void RunSmoke(string name, string lr, string extraStages = "")
    {
        var file = _temp.Combine($"{name}.yaml");
        var text = File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"))
            .Replace("name: smoke", $"name: {name}").Replace("  lr: 0.05", $"  lr: {lr}");
        Assert.Contains($"  lr: {lr}", text);
        File.WriteAllText(file, text + extraStages);
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", _temp.Combine("runs"));
        Assert.True(code == 0, log);
    }

    [Fact]
    public void Compare_names_the_changed_setting_the_stages_it_reaches_and_their_metrics_in_three_formats()
    {
        RunSmoke("before", "0.05");
        // The later run's report includes the comparison with the earlier one.
        RunSmoke("after", "0.04", "  report:\n    kind: report\n    compare-with: before\n    inputs: { all: \"*\" }\n");
        var runs = _temp.Combine("runs");

        var (code, markdown) = DistillCli.Run(TimeSpan.FromMinutes(1), "compare", "before", "after", "--runs", runs);
        output.WriteLine(markdown);
        Assert.Equal(0, code);
        // Metrics in name order: both epoch rules' test accuracies, labelled (the smoke pipeline has a validation split).
        Assert.Contains("| teacher-0.0 | completed | completed | parameters.lr: 0.05 -> 0.04 | at_best_validation_test_accuracy |", markdown);
        Assert.Contains("| lr | 0.025 | 0.02 | -0.005 |", markdown);
        Assert.Contains("| test_accuracy |", markdown);
        Assert.Contains("| cache-0.0 | completed | completed | an input stage changed |", markdown); // same definition, new teacher

        var (_, csv) = DistillCli.Run(TimeSpan.FromMinutes(1), "compare", "before:teacher-0.0", "before:teacher-0.1", "--runs", runs, "--format", "csv");
        Assert.Contains("teacher-0.0,teacher-0.1,parameter,parameters.alpha,0,0.1,", csv);
        Assert.StartsWith("stage_a,stage_b,row,name,a,b,difference", csv);

        var (_, json) = DistillCli.Run(TimeSpan.FromMinutes(1), "compare", "before", "after", "--runs", runs, "--format", "json");
        var stages = JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetProperty("stageA").GetString()).ToList();
        Assert.Contains("teacher-0.1", stages);
        Assert.Equal(8, stages.Count); // every stage downstream of the teachers differs, and the report only B has

        var report = File.ReadAllText(RunResults.Output(Path.Combine(runs, "after"), "report", "report.md"));
        Assert.Contains("## Compared with run 'before'", report);
        Assert.Contains("| teacher-0.0 | completed | completed | parameters.lr: 0.05 -> 0.04 |", report);
        Assert.Contains("| lr | 0.025 | 0.02 | -0.005 |", report);
        Assert.Contains("7 stage(s) differ from run 'before'", report);

        var (missing, error) = DistillCli.Run(TimeSpan.FromMinutes(1), "compare", "before", "nowhere", "--runs", runs);
        Assert.Equal(2, missing);
        Assert.Contains("no run 'nowhere'", error);
    }
}
