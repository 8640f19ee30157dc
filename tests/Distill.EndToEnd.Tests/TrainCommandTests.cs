using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>`distill train` is a front of the engine: its runs have manifests and a second call trains nothing.</summary>
[Trait("Category", "Slow")]
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Train_writes_a_pipeline_runs_it_with_manifests_and_resumes()
    {
        var runs = _temp.Combine("runs");
        string[] args = ["train", "--epochs", "1", "--subset", "300", "--test-subset", "100", "--model", "resnet8", "--alpha", "0", "0.2", "--runs", runs];

        var (code, output) = DistillCli.Run(TimeSpan.FromMinutes(2), args);
        Assert.True(code == 0, output);

        var pipeline = File.ReadAllText(Path.Combine(runs, "train-fashion-mnist.yaml"));
        Assert.Contains("alpha: [0.0, 0.2]", pipeline);
        Assert.DoesNotContain("batch-size", pipeline); // left to the pipeline format's default
        foreach (var id in new[] { "teacher-0.0", "teacher-0.2" })
        {
            var manifest = RunResults.Manifest(Path.Combine(runs, "train-fashion-mnist"), id);
            Assert.Equal(Distill.Runs.StageStatus.Completed, manifest.Status);
            Assert.InRange(manifest.Metrics["test_accuracy"], 0, 1);
        }

        var (again, againOutput) = DistillCli.Run(TimeSpan.FromMinutes(1), args);
        Assert.True(again == 0, againOutput);
        Assert.DoesNotContain("starting", againOutput);
    }
}
