namespace Distill.Runs.Tests;

public class RunDirectoryTests
{
    [Fact]
    public void Stage_paths_follow_the_documented_layout()
    {
        using var dir = new TempDirectory();
        var run = RunDirectory.Open(dir.Path, "fmnist-ls");
        var stage = run.Stage("teacher-a0.1");
        stage.EnsureCreated();

        var root = Path.Combine(dir.Path, "fmnist-ls");
        Assert.Equal(root, run.RootPath);
        Assert.Equal(Path.Combine(root, "run.lock"), run.LockPath);
        Assert.Equal(Path.Combine(root, "stages", "teacher-a0.1", "manifest.json"), stage.ManifestPath);
        Assert.True(Directory.Exists(Path.Combine(root, "stages", "teacher-a0.1", "outputs")));
        Assert.True(Directory.Exists(Path.Combine(root, "stages", "teacher-a0.1", "checkpoints")));
        Assert.Equal(Path.Combine(stage.OutputsPath, "logits", "train.npy"), stage.OutputPath("logits/train.npy"));
        Assert.Equal(["teacher-a0.1"], run.ExistingStageIds());
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../other")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/etc")]
    [InlineData(" padded")]
    [InlineData("tab\there")]
    [InlineData("a:b")]
    public void Unsafe_stage_ids_are_rejected(string stageId)
    {
        using var dir = new TempDirectory();
        var run = RunDirectory.Open(dir.Path, "p");
        var error = Assert.Throws<ArgumentException>(() => run.Stage(stageId));
        Assert.Contains("stage id", error.Message);
    }

    [Theory]
    [InlineData("../manifest.json")]
    [InlineData("a/../../x")]
    [InlineData("/abs/path")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("")]
    public void Output_names_that_escape_or_are_ambiguous_are_rejected(string name)
    {
        using var dir = new TempDirectory();
        var stage = RunDirectory.Open(dir.Path, "p").Stage("s");
        var error = Assert.Throws<ArgumentException>(() => stage.OutputPath(name));
        Assert.Contains("output name", error.Message);
    }

    [Fact]
    public void Pipeline_name_that_escapes_is_rejected()
    {
        using var dir = new TempDirectory();
        Assert.Throws<ArgumentException>(() => RunDirectory.Open(dir.Path, ".."));
        Assert.Throws<ArgumentException>(() => RunDirectory.Open(dir.Path, "a/b"));
    }

    [Fact]
    public void Recorded_outputs_verify_and_changes_are_reported()
    {
        using var dir = new TempDirectory();
        var stage = RunDirectory.Open(dir.Path, "p").Stage("s");
        stage.EnsureCreated();
        AtomicFile.WriteAllText(stage.OutputPath("weights.bin"), "weights");
        AtomicFile.WriteAllText(stage.OutputPath("plots/r.csv"), "1,2");
        File.WriteAllText(AtomicFile.TempPathFor(stage.OutputPath("ignored.bin")), "leftover");

        var outputs = stage.RecordOutputs();
        Assert.Equal(["plots/r.csv", "weights.bin"], outputs.Select(o => o.Path));
        Assert.Equal(7, outputs[1].SizeBytes);
        Assert.Equal(FileHash.Sha256Hex(stage.OutputPath("weights.bin")), outputs[1].Sha256);

        var manifest = StageManifest.Pending("s", "train", "k", []).StartAttempt(DateTimeOffset.UtcNow)
            .Complete(DateTimeOffset.UtcNow, new Dictionary<string, double>(), outputs);
        Assert.Empty(stage.VerifyOutputs(manifest));

        File.WriteAllText(stage.OutputPath("weights.bin"), "WEIGHTS"); // same size, other bytes
        File.Delete(stage.OutputPath("plots/r.csv"));
        var problems = stage.VerifyOutputs(manifest);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("output 'plots/r.csv': missing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("output 'weights.bin': SHA-256", StringComparison.Ordinal) && p.Contains("changed after it was written"));
    }
}
