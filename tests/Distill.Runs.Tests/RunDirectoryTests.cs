namespace Distill.Runs.Tests;

public class RunDirectoryTests
{
    [Fact]
    public void Stage_ids_point_into_the_store_beside_the_runs()
    {
        using var dir = new TempDirectory();
        var run = RunDirectory.Open(dir.Path, "fmnist-ls");
        Assert.Null(run.Stage("teacher-a0.1"));
        var key = new string('a', 64);
        run.WritePointer("teacher-a0.1", Pointer(key, """{"id":"teacher-a0.1","parameters":{"alpha":0.1}}"""));
        var stage = run.Stage("teacher-a0.1")!;
        stage.EnsureCreated();

        var root = Path.Combine(dir.Path, "fmnist-ls");
        Assert.Equal(root, run.RootPath);
        Assert.Equal(Path.Combine(root, "run.lock"), run.LockPath);
        Assert.Equal(Path.Combine(root, "stages", "teacher-a0.1.json"), run.PointerPath("teacher-a0.1"));
        Assert.Equal(Path.Combine(dir.Path, "store", key, "manifest.json"), stage.ManifestPath);
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "store", key, "outputs")));
        Assert.Equal(Path.Combine(stage.OutputsPath, "logits", "train.npy"), stage.OutputPath("logits/train.npy"));
        Assert.Equal(["teacher-a0.1"], run.ExistingStageIds());
        Assert.Equal([key], run.Store.Keys());
    }

    private static StagePointer Pointer(string key, string definition, string fingerprint = "f", IReadOnlyDictionary<string, string>? inputs = null) =>
        StagePointer.Create(key, "train", definition, fingerprint, inputs ?? new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_pointer_explains_which_settings_and_inputs_changed()
    {
        var before = Pointer("a", """{"id":"s","parameters":{"alpha":0.1,"epochs":3}}""", inputs: new Dictionary<string, string> { ["teacher"] = "k1" });
        var after = Pointer("b", """{"id":"s","parameters":{"alpha":0.2,"epochs":3,"lr":0.5}}""", inputs: new Dictionary<string, string> { ["teacher"] = "k2" });
        Assert.Equal("parameters.alpha 0.1 -> 0.2; parameters.lr (unset) -> 0.5; input 'teacher' changed", before.DescribeChangeTo(after));
        Assert.Equal("dataset or imported files changed", before.DescribeChangeTo(before with { DatasetFingerprint = "g" }));
        // After an upgrade of the definition's format, that leads: it explains the rest.
        var upgraded = Pointer("c", """{"code":{"kind/train":1},"format":3,"id":"s","parameters":{"alpha":0.1,"epochs":3}}""");
        Assert.Equal("format 2 -> 3; code.kind/train (unset) -> 1",
            Pointer("a", """{"format":2,"id":"s","parameters":{"alpha":0.1,"epochs":3}}""").DescribeChangeTo(upgraded));
    }

    [Fact]
    public void A_pipeline_cannot_be_named_like_the_store()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => RunDirectory.Open(dir.Path, "store"));
        Assert.Contains("result store", error.Message);
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
        var stage = StageStore.Under(dir.Path).Entry("k");
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
        var stage = StageStore.Under(dir.Path).Entry("k");
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
