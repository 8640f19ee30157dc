using System.Text.Json;

namespace Distill.Runs.Tests;

public class StageManifestTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    internal static StageManifest Sample(string key = "k1", StageStatus status = StageStatus.Completed)
    {
        var m = StageManifest.Pending("student-T4", "distill", key, [new StageInput("teacher", "tk2"), new StageInput("cache", "ck1")])
            .StartAttempt(T0)
            .WithEpoch(new StageProgress(0, 100), new EpochMetrics(0, new Dictionary<string, double> { ["loss"] = 1.25, ["acc"] = 0.5 }))
            .WithEpoch(new StageProgress(1, 200), new EpochMetrics(1, new Dictionary<string, double> { ["loss"] = 0.75, ["acc"] = double.NaN }));
        return status switch
        {
            StageStatus.Completed => m.Complete(T0.AddSeconds(90.5), new Dictionary<string, double> { ["test_acc"] = 0.875 },
                [new OutputFile("weights.bin", 42, new string('a', 64))]),
            StageStatus.Failed => m.Fail(T0.AddSeconds(3), "out of memory"),
            StageStatus.Cancelled => m.Cancel(T0.AddSeconds(3)),
            StageStatus.Running => m,
            _ => StageManifest.Pending("student-T4", "distill", key, []),
        };
    }

    [Fact]
    public void Manifest_round_trips_through_json()
    {
        using var dir = new TempDirectory();
        var path = dir.File("manifest.json");
        var original = Sample();

        original.Save(path);
        var loaded = StageManifest.Load(path)!;

        Assert.Equal(original.StageId, loaded.StageId);
        Assert.Equal(StageStatus.Completed, loaded.Status);
        Assert.Equal(T0, loaded.StartedAt);
        Assert.Equal(90.5, loaded.DurationSeconds);
        Assert.Equal(1, loaded.Attempts);
        Assert.Equal(new StageProgress(1, 200), loaded.Progress);
        Assert.Equal(0.875, loaded.Metrics["test_acc"]);
        Assert.Equal([0, 1], loaded.EpochMetrics.Select(e => e.Epoch));
        Assert.True(double.IsNaN(loaded.EpochMetrics[1].Values["acc"]));
        Assert.Equal(original.Outputs, loaded.Outputs);
        Assert.Equal([new StageInput("cache", "ck1"), new StageInput("teacher", "tk2")], loaded.Inputs);
        Assert.Equal(JsonSerializer.Serialize(original, RunJson.Options), JsonSerializer.Serialize(loaded, RunJson.Options));
    }

    [Fact]
    public void Json_uses_documented_field_names_and_lowercase_status()
    {
        using var dir = new TempDirectory();
        var path = dir.File("manifest.json");
        Sample(status: StageStatus.Failed).Save(path);

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal("failed", root.GetProperty("status").GetString());
        Assert.Equal("out of memory", root.GetProperty("failureReason").GetString());
        Assert.Equal(1, root.GetProperty("formatVersion").GetInt32());
        Assert.Equal(200, root.GetProperty("progress").GetProperty("step").GetInt64());
        Assert.Equal(3.0, root.GetProperty("durationSeconds").GetDouble());
        foreach (var name in new[] { "stageId", "kind", "key", "startedAt", "finishedAt", "attempts", "metrics", "epochMetrics", "outputs", "inputs" })
            Assert.True(root.TryGetProperty(name, out _), $"missing {name}");
    }

    [Fact]
    public void Missing_manifest_is_null_and_damaged_one_names_the_file()
    {
        using var dir = new TempDirectory();
        Assert.Null(StageManifest.Load(dir.File("manifest.json")));

        File.WriteAllText(dir.File("manifest.json"), "{ \"formatVersion\": 1, \"stageId\": ");
        var error = Assert.Throws<RunFormatException>(() => StageManifest.Load(dir.File("manifest.json")));
        Assert.Equal(dir.File("manifest.json"), error.FilePath);

        var newer = JsonSerializer.Serialize(Sample() with { FormatVersion = 99 }, RunJson.Options);
        File.WriteAllText(dir.File("manifest.json"), newer);
        error = Assert.Throws<RunFormatException>(() => StageManifest.Load(dir.File("manifest.json")));
        Assert.Contains("format version 99", error.Message);
    }

    [Fact]
    public void Attempts_count_and_epoch_metrics_replace_repeated_epochs()
    {
        var resumed = Sample(status: StageStatus.Cancelled).StartAttempt(T0.AddMinutes(5))
            .WithEpoch(new StageProgress(1, 200), new EpochMetrics(1, new Dictionary<string, double> { ["loss"] = 0.5 }));

        Assert.Equal(2, resumed.Attempts);
        Assert.Equal(StageStatus.Running, resumed.Status);
        Assert.Null(resumed.FinishedAt);
        Assert.Equal(2, resumed.EpochMetrics.Count);
        Assert.Equal(0.5, resumed.EpochMetrics[1].Values["loss"]);
    }

    [Fact]
    public void Each_kernel_path_an_attempt_ran_on_is_recorded_once_in_order()
    {
        const string avx512 = "AMD EPYC: avx512_core, .NET 512-bit vectors";
        const string avx2 = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz: avx2, .NET 256-bit vectors";
        var first = StageManifest.Pending("s", "train", "k", []).StartAttempt(T0, avx512).Cancel(T0.AddSeconds(1));
        var again = first.StartAttempt(T0.AddSeconds(2), avx512).Cancel(T0.AddSeconds(3));
        var elsewhere = again.StartAttempt(T0.AddSeconds(4), avx2);

        Assert.Equal(avx512, again.KernelPath);
        Assert.Equal($"{avx512} then {avx2}", elsewhere.KernelPath);
        Assert.Null(again.KernelPathOtherThan(avx512));
        Assert.Equal(avx512, again.KernelPathOtherThan(avx2));
        // A result that mixes two paths is another path's on either machine.
        Assert.Equal(elsewhere.KernelPath, elsewhere.KernelPathOtherThan(avx2));
        Assert.Equal("k", StageManifest.Pending("s", "train", "k", []).StreamKey);
        Assert.Equal("old", StageManifest.Pending("s", "train", "k", [], seedKey: "old").StreamKey);
    }
}
