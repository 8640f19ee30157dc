using System.Diagnostics;
using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// The spine's promise: kill the program whenever you like, start it again, and get exactly what an
/// uninterrupted run gives. Each test runs the real `distill` program on a small real pipeline.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PipelineResumeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Pipeline => DistillCli.TestPipeline("resume.yaml");

    private string RunToEnd(string runsRoot, string? pipeline = null)
    {
        var (code, text) = DistillCli.Run(RunTimeout, "run", pipeline ?? Pipeline, "--runs", runsRoot);
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        return text;
    }

    [Fact]
    public void RepeatedSigkillThenResumeGivesTheUninterruptedResult()
    {
        var straightRoot = _temp.Combine("straight");
        var watch = Stopwatch.StartNew();
        RunToEnd(straightRoot);
        output.WriteLine($"uninterrupted run: {watch.Elapsed.TotalSeconds:F1} s");
        var expected = RunResults.Fingerprint(Path.Combine(straightRoot, "resume"));
        Assert.Equal(6, expected.Count);
        Assert.All(expected.Values, v => Assert.StartsWith("Completed|", v));

        var killedRoot = _temp.Combine("killed");
        var random = new Random(2024);
        int kills = 0;
        for (int attempt = 0; attempt < 12 && kills < 6; attempt++)
        {
            using var running = DistillCli.Start("run", Pipeline, "--runs", killedRoot);
            // Random points a little after start-up, so each attempt makes some progress before its kill.
            var delay = TimeSpan.FromSeconds(0.5 + random.NextDouble() * 0.9);
            if (running.WaitForExit(delay)) continue; // finished before the kill: nothing to test this round
            running.Signal("KILL");
            running.WaitForExit(TimeSpan.FromSeconds(10));
            kills++;
            output.WriteLine($"kill {kills} after {delay.TotalSeconds:F2} s; last lines:\n{string.Join('\n', running.Output.Split('\n').TakeLast(3))}");
        }
        Assert.True(kills >= 5, $"only {kills} kills landed before the pipeline finished");

        var final = RunToEnd(killedRoot);
        output.WriteLine(final);
        Assert.Equal(expected, RunResults.Fingerprint(Path.Combine(killedRoot, "resume")));
    }

    [Fact]
    public void SigtermStopsWithinTenSecondsWithACheckpointAndTheRunContinues() =>
        StopsWithACheckpointAndContinues(_temp.Combine("term"), (running, _) => running.Signal("TERM"));

    /// <summary>`distill cancel` with the in-process engine does what Ctrl-C does in the run's terminal.</summary>
    [Fact]
    public void CancelWithTheInProcessEngineStopsAForegroundRunAsSigtermDoes() =>
        StopsWithACheckpointAndContinues(Path.Combine(_temp.Combine("cancel"), "runs"), (running, root) =>
        {
            var (code, text) = DistillCli.Run(TimeSpan.FromSeconds(30), "cancel", "resume", "--engine", "in-process", "--root", Path.GetDirectoryName(root)!);
            output.WriteLine(text);
            Assert.Equal(0, code);
            Assert.Contains($"Asked pid {running.Process.Id} on host", text);
        });

    /// <summary>Stops a run mid-training with <paramref name="stop"/>; it ends within 10 s with a checkpoint, and the next run continues.</summary>
    private void StopsWithACheckpointAndContinues(string root, Action<DistillCli.Running, string> stop)
    {
        using (var running = DistillCli.Start("run", Pipeline, "--runs", root))
        {
            var run = RunDirectory.AtPath(Path.Combine(root, "resume"));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(run.Stage("teacher-a") is { } teacher && Directory.Exists(teacher.CheckpointsPath)) && DateTime.UtcNow < deadline && !running.Process.HasExited)
                Thread.Sleep(50);
            Thread.Sleep(300);
            Assert.False(running.Process.HasExited, "the run ended before it could be stopped:\n" + running.Output);

            var watch = Stopwatch.StartNew();
            stop(running, root);
            Assert.True(running.WaitForExit(TimeSpan.FromSeconds(10)), "did not stop within 10 s:\n" + running.Output);
            output.WriteLine($"stopped {watch.Elapsed.TotalSeconds:F2} s after the request");
            Assert.Equal(0, running.Process.ExitCode);
            Assert.Contains("Stopped; run the same command again", running.Output);

            var stopped = run.ExistingStageIds()
                .Select(id => RunResults.Manifest(run.RootPath, id))
                .Single(m => m.Status == StageStatus.Cancelled);
            var checkpoints = run.Store.Entry(stopped.Key).Checkpoints.List();
            Assert.Contains(checkpoints, c => c.Info.Reason == "shutdown");
            // A clean release removes the owner record (a killed owner would leave it for the next one to report).
            Assert.False(File.Exists(Path.Combine(root, "resume", RunDirectory.LockFileName + OwnerLock.OwnerSuffix)), "the lock was not released");
        }

        var resumed = RunToEnd(root);
        Assert.Contains("resuming", resumed);
        Assert.All(RunResults.Fingerprint(Path.Combine(root, "resume")).Values, v => Assert.StartsWith("Completed|", v));
    }

    [Fact]
    public void RerunRetrainsNothingAndAnEditRerunsExactlyThatStageAndItsDependants()
    {
        var root = _temp.Combine("edit");
        RunToEnd(root);
        var before = RunResults.Fingerprint(Path.Combine(root, "resume"));

        // Training stages also leave TensorBoard event files with their per-epoch curves.
        var events = Directory.GetFiles(RunResults.Stage(Path.Combine(root, "resume"), "teacher-a").TensorBoardPath, "events.out.tfevents.*");
        Assert.Contains("epoch/test_accuracy", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(Assert.Single(events))));

        var watch = Stopwatch.StartNew();
        var again = RunToEnd(root);
        output.WriteLine($"re-run of a completed pipeline: {watch.Elapsed.TotalSeconds:F2} s (process start included)");
        Assert.Equal(6, CountLines(again, ": uptodate"));
        Assert.DoesNotContain("starting", again);

        // Change one parameter of cache-b: it and student-b (which reads it) run again, nothing else.
        var edited = _temp.Combine("resume.yaml");
        var text = File.ReadAllText(Pipeline);
        File.WriteAllText(edited, text.Replace("    inputs: { teacher: teacher-b }\n", "    inputs: { teacher: teacher-b }\n    splits: [train, test]\n"));
        var third = RunToEnd(root, edited);
        var started = third.Split('\n').Where(l => l.Contains("): starting")).Select(l => l.Split(' ')[0]).Order().ToArray();
        Assert.Equal(new[] { "cache-b", "student-b" }, started);
        var after = RunResults.Fingerprint(Path.Combine(root, "resume"));
        foreach (var unchanged in new[] { "teacher-a", "teacher-b", "cache-a", "student-a" })
            Assert.Equal(before[unchanged], after[unchanged]);
    }

    private static int CountLines(string text, string fragment) => text.Split('\n').Count(l => l.Contains(fragment));
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end (one heavy process at a time)";
}
