namespace Distill.Runs.Tests;

public class StageStateTests
{
    private static readonly CheckpointEntry Checkpoint = new(2, 300, "p.ckpt", "p.json",
        new CheckpointInfo(1, 2, 300, DateTimeOffset.UnixEpoch, 10, null, new Dictionary<string, string>()));

    [Theory]
    [InlineData(StageStatus.Completed, "k1", true, StageAction.Skip)]
    [InlineData(StageStatus.Completed, "k1", false, StageAction.Skip)]
    [InlineData(StageStatus.Running, "k1", true, StageAction.Resume)]
    [InlineData(StageStatus.Cancelled, "k1", true, StageAction.Resume)]
    [InlineData(StageStatus.Failed, "k1", true, StageAction.Resume)]
    [InlineData(StageStatus.Running, "k1", false, StageAction.Fresh)]
    [InlineData(StageStatus.Failed, "k1", false, StageAction.Fresh)]
    [InlineData(StageStatus.Pending, "k1", true, StageAction.Fresh)]
    [InlineData(StageStatus.Completed, "k2", true, StageAction.Fresh)]
    [InlineData(StageStatus.Running, "k2", true, StageAction.Fresh)]
    public void Decision_follows_status_key_and_checkpoint(StageStatus status, string currentKey, bool hasCheckpoint, StageAction expected)
    {
        var stored = StageManifestTests.Sample("k1", status);
        var decision = StageState.Decide(stored, currentKey, hasCheckpoint ? Checkpoint : null);

        Assert.Equal(expected, decision.Action);
        Assert.Equal(expected == StageAction.Resume ? Checkpoint : null, decision.Checkpoint);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void No_manifest_means_fresh_and_key_change_is_explained()
    {
        Assert.Equal(StageAction.Fresh, StageState.Decide(null, "k", null).Action);
        var changed = StageState.Decide(StageManifestTests.Sample("aaaaaaaaaaaaaaaa"), "bbbbbbbbbbbbbbbb", Checkpoint);
        Assert.Equal("key changed from aaaaaaaaaaaa to bbbbbbbbbbbb: definition, data or inputs differ", changed.Reason);
    }

    private static StageDirectory StageWithOldRun(TempDirectory dir, StageStatus status, bool withCheckpoint)
    {
        var stage = StageStore.Under(dir.Path).Entry("k1");
        stage.EnsureCreated();
        AtomicFile.WriteAllText(stage.OutputPath("weights.bin"), "old weights");
        AtomicFile.WriteAllText(stage.MetricsCsvPath, "epoch,loss\n0,1\n");
        if (withCheckpoint) stage.Checkpoints.Write(1, 200, s => s.Write("state"u8));
        var manifest = StageManifestTests.Sample("k1", status);
        if (status == StageStatus.Completed) manifest = manifest with { Outputs = stage.RecordOutputs() };
        stage.WriteManifest(manifest);
        return stage;
    }

    [Fact]
    public void Prepare_for_a_new_key_wipes_outputs_checkpoints_and_manifest()
    {
        using var dir = new TempDirectory();
        var stage = StageWithOldRun(dir, StageStatus.Running, withCheckpoint: true);

        var decision = StageState.Prepare(stage, "k2");

        Assert.Equal(StageAction.Fresh, decision.Action);
        Assert.Equal("k1", decision.Previous!.Key);
        Assert.False(File.Exists(stage.ManifestPath));
        Assert.False(File.Exists(stage.MetricsCsvPath));
        Assert.Empty(Directory.GetFileSystemEntries(stage.OutputsPath));
        Assert.Empty(Directory.GetFileSystemEntries(stage.CheckpointsPath));
    }

    [Fact]
    public void Prepare_resumes_from_the_latest_checkpoint_and_keeps_outputs()
    {
        using var dir = new TempDirectory();
        var stage = StageWithOldRun(dir, StageStatus.Cancelled, withCheckpoint: true);
        var leftover = AtomicFile.TempPathFor(stage.OutputPath("half.bin"));
        File.WriteAllText(leftover, "half-written by the killed attempt");

        var decision = StageState.Prepare(stage, "k1");

        Assert.Equal(StageAction.Resume, decision.Action);
        Assert.Equal((1, 200L), (decision.Checkpoint!.Epoch, decision.Checkpoint.Step));
        Assert.True(File.Exists(stage.OutputPath("weights.bin")));
        Assert.True(File.Exists(stage.ManifestPath));
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public void Prepare_skips_a_completed_stage_unless_verification_finds_changed_outputs()
    {
        using var dir = new TempDirectory();
        var stage = StageWithOldRun(dir, StageStatus.Completed, withCheckpoint: false);

        Assert.Equal(StageAction.Skip, StageState.Prepare(stage, "k1", verifyOutputs: true).Action);

        File.WriteAllText(stage.OutputPath("weights.bin"), "tampered!!!");
        var decision = StageState.Prepare(stage, "k1", verifyOutputs: true);
        Assert.Equal(StageAction.Fresh, decision.Action);
        Assert.Contains("weights.bin", decision.Reason);
        Assert.False(File.Exists(stage.OutputPath("weights.bin")));
    }
}
