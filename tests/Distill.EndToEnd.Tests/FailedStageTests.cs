using Distill.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// A stage that fails blocks its dependants, named by the input that did not complete, and nothing waits for ever:
/// with the in-process and the child-processes engines of `distill run` here, under Hangfire in <see cref="ClusterTests"/> and under Slurm
/// in <see cref="SlurmTests"/>, all deciding by the one scheduler (DagSchedule).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class FailedStageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("in-process", 1)]
    [InlineData("processes", 2)]
    public void A_failing_stage_blocks_its_dependants_and_the_run_ends(string engine, int jobs)
    {
        var external = _temp.Combine("external");
        Directory.CreateDirectory(external);
        foreach (var split in new[] { "validation", "test" })
        foreach (var name in new[] { "logits", "labels", "indices" })
            File.WriteAllText(Path.Combine(external, $"{name}-{split}.npy"), "not numbers");
        var file = _temp.Combine("failing.yaml");
        File.WriteAllText(file, $$"""
            name: failing
            seed: 1
            datasets:
              fmnist: { kind: fashion-mnist, validation: 50, subset: { train: 100, test: 100 } }
            stages:
              outside: { kind: import-logits, dataset: fmnist, splits: [validation, test], path: {{external}} }
              calibration: { kind: calibrate, inputs: { logits: outside } }
              summary: { kind: report, inputs: { calibration: calibration } }
            """);

        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(2), "run", file, "--runs", _temp.Combine("runs"), "--jobs", $"{jobs}", "--engine", engine);
        output.WriteLine(text);

        Assert.NotEqual(0, code);
        Assert.Contains("not a NumPy .npy file", Line(text, "outside"));
        Assert.Contains("input stage 'outside' did not complete", Line(text, "calibration"));
        Assert.Contains("input stage 'calibration' did not complete", Line(text, "summary"));
    }

    /// <summary>The run's last line about the stage (its outcome).</summary>
    private static string Line(string text, string stage) =>
        text.Split('\n').Last(l => l.TrimStart().StartsWith(stage + ":", StringComparison.Ordinal) || l.Contains($" {stage}:"));
}
