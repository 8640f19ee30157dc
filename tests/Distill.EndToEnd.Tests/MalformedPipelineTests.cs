using Distill.Cli.Commands;
using Distill.EndToEnd.Tests.Support;
using Distill.Stages.Engine;

namespace Distill.EndToEnd.Tests;

/// <summary>Every file of the malformed-pipeline corpus is refused before anything is written.</summary>
public sealed class MalformedPipelineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> CorpusFiles()
    {
        var folder = Path.Combine(DistillCli.RepositoryRoot, "tests", "Distill.Pipelines.Tests", "Corpus", "invalid");
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(folder, "*.yaml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void RunRefusesWithLocatedErrorsAndWritesNothing(string name)
    {
        var file = Path.Combine(DistillCli.RepositoryRoot, "tests", "Distill.Pipelines.Tests", "Corpus", "invalid", name);
        var runs = _temp.Combine("runs");
        var error = Assert.Throws<PipelineInvalidException>(() =>
            StageRegistry.CreateRunner().Run(new RunRequest(file, runs), new SilentObserver(), CancellationToken.None));
        Assert.NotEmpty(error.Errors);
        Assert.All(error.Errors, line => Assert.Matches(@"^.+:\d+:\d+: .+$", line));
        Assert.False(Directory.Exists(runs), $"{name}: something was written under the runs folder");
    }

    [Fact]
    public void TheProgramExitsNonZeroWithOneLinePerError()
    {
        var file = Path.Combine(DistillCli.RepositoryRoot, "tests", "Distill.Pipelines.Tests", "Corpus", "invalid", "many-errors-at-once.yaml");
        var runs = _temp.Combine("runs");
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(1), "run", file, "--runs", runs);
        Assert.Equal(2, code);
        Assert.True(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("many-errors-at-once.yaml:")) >= 3, text);
        Assert.False(Directory.Exists(runs));
    }

    [Fact]
    public void Missing_data_is_an_error_of_validate_and_run_writes_nothing()
    {
        var file = _temp.Combine("missing-data.yaml");
        File.WriteAllText(file, """
            name: missing-data
            datasets:
              photos: { kind: image-folder, path: no-such-folder, validation: 10 }
            models:
              net: { architecture: alexnet }
            stages:
              teacher: { kind: train, dataset: photos, model: net, epochs: 1 }
            """);
        var runs = _temp.Combine("runs");

        var (validateCode, validateText) = DistillCli.Run(TimeSpan.FromMinutes(1), "validate", file);
        Assert.Equal(1, validateCode);
        Assert.Matches(@"missing-data\.yaml:3:\d+: dataset 'photos': .*no-such-folder: image folder not found \(expected .*/train/<class>/\* and .*/test/<class>/\*\)", validateText);

        var error = Assert.Throws<PipelineInvalidException>(() =>
            StageRegistry.CreateRunner().Run(new RunRequest(file, runs), new SilentObserver(), CancellationToken.None));
        Assert.Contains("no-such-folder: image folder not found", Assert.Single(error.Errors));
        Assert.False(Directory.Exists(runs));
    }

    private sealed class SilentObserver : IRunObserver
    {
        public void StageStarting(string stageId, string kind, Distill.Runs.StageAction action, string reason) { }
        public void Step(string stageId, Distill.Learning.Training.StepReport report) { }
        public void EpochFinished(string stageId, Distill.Runs.EpochMetrics metrics, int epochs) { }
        public void StageFinished(StageOutcome outcome) { }
        public void Info(string message) { }
    }
}
