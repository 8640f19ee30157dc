using System.Diagnostics;
using System.Text.RegularExpressions;
using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// The paper-scale pipelines in pipelines/ run end to end with the real program, shrunk to toy size by a
/// fixed set of edits (each must match, so the files and these tests cannot drift apart):
/// <list type="bullet">
/// <item>the x-scale anchors: epochs 1, ResNet depth 8, two values per sweep, few examples for the
/// mutual-information probe and the projection;</item>
/// <item>the dataset: <c>path</c> to CIFAR files generated here in the official binary format,
/// <c>download: false</c>, <c>validation</c> a few hundred and a <c>subset</c> of a few hundred;</item>
/// <item><c>device: cpu</c>, <c>threads: 2</c>, and 2 cached views instead of 16.</item>
/// </list>
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PaperPipelineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string PaperPipeline(string name) => Path.Combine(DistillCli.RepositoryRoot, "pipelines", name);

    private static IEnumerable<PipelineText.Edit> CommonEdits(string dataPath, string officialPath, int validation, int train, int test) =>
    [
        PipelineText.Line("device: auto", "device: cpu\nthreads: 2"),
        PipelineText.Line($"path: {officialPath}", $"path: \"{dataPath}\""),
        PipelineText.Line("download: true", "download: false"),
        PipelineText.Line("validation: 10000", $"validation: {validation}\n    subset: {{ train: {train}, test: {test} }}"),
        PipelineText.Anchor("teacher-epochs", "1"),
        PipelineText.Anchor("teacher-depth", "8"),
        PipelineText.Anchor("project-examples", "5"),
    ];

    [Fact]
    public void Cifar10DistillationRunsEndToEndAtToyScale()
    {
        var data = _temp.Combine("cifar-10");
        FakeCifar.WriteCifar10(data, perTrainFile: 100, testRecords: 100);
        var edits = CommonEdits(data, "data/cifar-10", validation: 100, train: 300, test: 100).Concat(
        [
            PipelineText.Anchor("student-epochs", "1"),
            PipelineText.Anchor("teacher-alphas", "[0.0, 0.15]"),   // projection compares teacher-0.0 and teacher-0.15
            PipelineText.Anchor("smoothed-alphas", "[0.15]"),
            PipelineText.Anchor("temperatures", "[1, 4]"),
            PipelineText.Anchor("mi-examples", "10"),
            PipelineText.Line("views: 16", "views: 2", count: 2),
        ]);
        var run = RunShrunk("cifar10-distillation.yaml", edits);

        Assert.Equal(
            ["cache-0.0", "cache-0.15", "calibration-0.0", "calibration-0.15", "projection", "report",
             "student-hard-T1", "student-hard-T4", "student-ls0.15-T1", "teacher-0.0", "teacher-0.15"],
            run.Stages.Keys);
        var teacher = RunResults.Manifest(run.Directory, "teacher-0.0");
        Assert.True(teacher.Metrics.ContainsKey("test_accuracy"), "teacher has no test accuracy");
        Assert.True(teacher.Metrics.ContainsKey("mutual_information"), "teacher has no mutual-information estimate");
        var student = RunResults.Manifest(run.Directory, "student-hard-T4");
        Assert.True(student.Metrics.ContainsKey("test_accuracy"), "student has no test accuracy");
        Assert.True(student.Metrics.ContainsKey("teacher_gamma"), "student has no teacher gamma");
    }

    [Fact]
    public void Cifar100CalibrationRunsEndToEndAtToyScale()
    {
        var data = _temp.Combine("cifar-100");
        FakeCifar.WriteCifar100(data, trainRecords: 2000, testRecords: 200);
        var edits = CommonEdits(data, "data/cifar-100", validation: 500, train: 300, test: 100).Concat(
        [
            PipelineText.Anchor("alphas", "[0.0, 0.1]"),   // projection compares resnet56-0.0 and resnet56-0.1
        ]);
        var run = RunShrunk("cifar100-calibration.yaml", edits);

        Assert.Equal(
            ["cache-0.0", "cache-0.1", "calibration-0.0", "calibration-0.1", "projection", "report", "resnet56-0.0", "resnet56-0.1"],
            run.Stages.Keys);
        Assert.True(RunResults.Manifest(run.Directory, "resnet56-0.1").Metrics.ContainsKey("test_accuracy"), "teacher has no test accuracy");
        Assert.NotEmpty(RunResults.Manifest(run.Directory, "calibration-0.0").Metrics);
        Assert.NotEmpty(RunResults.Manifest(run.Directory, "projection").Metrics);
    }

    private sealed record ShrunkRun(string Directory, SortedDictionary<string, string> Stages);

    private ShrunkRun RunShrunk(string fileName, IEnumerable<PipelineText.Edit> edits)
    {
        var source = PaperPipeline(fileName);
        var text = PipelineText.Apply(File.ReadAllText(source), edits);
        var pipeline = _temp.Combine(fileName);
        File.WriteAllText(pipeline, text);
        var name = Regex.Match(text, @"(?m)^name:\s*(\S+)").Groups[1].Value;
        var runs = _temp.Combine("runs");

        var (validateCode, validateText) = DistillCli.Run(TimeSpan.FromMinutes(1), "validate", pipeline);
        Assert.True(validateCode == 0, $"the shrunk {fileName} does not validate:\n{validateText}\n--- file:\n{text}");

        var watch = Stopwatch.StartNew();
        var (code, log) = DistillCli.Run(RunTimeout, "run", pipeline, "--runs", runs);
        output.WriteLine($"{fileName} (shrunk): {watch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);
        Assert.True(code == 0, $"exit code {code}:\n{log}");

        var directory = Path.Combine(runs, name);
        var stages = RunResults.Fingerprint(directory);
        Assert.NotEmpty(stages);
        Assert.All(stages, s => Assert.True(s.Value.StartsWith("Completed|", StringComparison.Ordinal), $"{s.Key}: {s.Value}"));
        Assert.All(stages.Keys, id => Assert.Equal(StageStatus.Completed, RunResults.Manifest(directory, id).Status));
        Assert.Contains("Report: ", log);
        return new ShrunkRun(directory, stages);
    }
}
