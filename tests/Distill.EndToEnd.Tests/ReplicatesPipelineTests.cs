using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>A pipeline replicated over three seeds: paired runs, intervals in every table, verdicts judged with n = 3.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ReplicatesPipelineTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Seeds_pair_the_runs_and_the_report_judges_every_finding_over_three_seeds()
    {
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(6), "run", DistillCli.TestPipeline("replicates.yaml"), "--runs", _temp.Combine("runs"));
        Assert.True(code == 0, text);
        var run = _temp.Combine("runs", "replicates");
        Assert.All(RunResults.Fingerprint(run).Values, v => Assert.StartsWith("Completed|", v));

        // Randomness follows the replicate seed, not the stage's name: same settings and seed, same weights.
        string Weights(string stage) => RunResults.Manifest(run, stage).Outputs.Single(o => o.Path == "weights.bin").Sha256;
        Assert.Equal(Weights("teacher-0.0-seed1"), Weights("twin-seed1"));
        Assert.NotEqual(Weights("teacher-0.0-seed1"), Weights("teacher-0.0-seed2"));

        var markdown = File.ReadAllText(RunResults.Output(run, "report", "report.md"));
        output.WriteLine(markdown);
        // The summary: each finding judged on three paired seeds (whatever the verdict), none "not tested (n seeds)".
        var summary = markdown[markdown.IndexOf("## Summary of findings", StringComparison.Ordinal)..].Split('\n').Where(l => l.StartsWith("| 1 |") || l.StartsWith("| 2 |") || l.StartsWith("| 3 |") || l.StartsWith("| 4 |")).ToList();
        Assert.Equal(4, summary.Count);
        Assert.All(summary, row => Assert.Contains("n = 3", row));
        Assert.All(summary, row => Assert.DoesNotContain("3 needed", row));
        // Tables show the mean with its interval and the per-seed values.
        Assert.Matches(@"\| teacher \(alpha 0\.1\) \| 0\.1 \| [0-9.]+ % \\\[[0-9.]+ %, [0-9.]+ %\\\] \|", markdown); // Markdown escapes [ ]
        Assert.Contains("| 3 | 1: ", markdown);
        var report = RunResults.Manifest(run, "report");
        Assert.Equal(7, report.Metrics["findings_total"]); // the paper's 4 and the compatibility study's 3
        Assert.Equal(7, report.Metrics["findings_agree"] + report.Metrics["findings_disagree"] + report.Metrics["findings_inconclusive"] + report.Metrics["findings_not_tested"]);
    }
}
