using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>`distill run --jobs N`: independent stages run at the same time, each in its own process, with a serial run's results.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ParallelRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Smoke => Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml");

    [Fact]
    public void Independent_stages_overlap_each_starts_once_and_the_results_equal_a_serial_run()
    {
        var (serialRoot, parallelRoot) = (_temp.Combine("serial"), _temp.Combine("parallel"));
        var (code, _) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", Smoke, "--runs", serialRoot);
        Assert.Equal(0, code);
        var (parallelCode, log) = DistillCli.Run(TimeSpan.FromMinutes(5), "run", Smoke, "--runs", parallelRoot, "--jobs", "3");
        output.WriteLine(log);
        Assert.True(parallelCode == 0, log);

        // The pipeline pins `threads: 2`, so every stage process computes what the serial run did, bit for bit.
        var parallel = Path.Combine(parallelRoot, "smoke");
        Assert.Equal(RunResults.Fingerprint(Path.Combine(serialRoot, "smoke")), RunResults.Fingerprint(parallel));
        var manifests = RunDirectory.AtPath(parallel).ExistingStageIds().ToDictionary(id => id, id => RunResults.Manifest(parallel, id));
        Assert.All(manifests.Values, m => Assert.Equal(1, m.Attempts));
        // Only pairs that become ready at the same moment must overlap: both teachers at the start, and both
        // students of cache-0.0 when it completes (at most one other stage holds a slot then). The two caches
        // follow teachers that finish at different times, so whether they overlap is the machine's timing.
        foreach (var (a, b) in new[] { ("teacher-0.0", "teacher-0.1"), ("student-T1-alpha0.0", "student-T4-alpha0.0") })
            Assert.True(manifests[a].StartedAt < manifests[b].FinishedAt && manifests[b].StartedAt < manifests[a].FinishedAt,
                $"{a} ({manifests[a].StartedAt:HH:mm:ss.ff}-{manifests[a].FinishedAt:HH:mm:ss.ff}) and {b} ({manifests[b].StartedAt:HH:mm:ss.ff}-{manifests[b].FinishedAt:HH:mm:ss.ff}) did not overlap");

        // A second parallel run starts no process: every stage is found completed.
        var (_, again) = DistillCli.Run(TimeSpan.FromMinutes(1), "run", Smoke, "--runs", parallelRoot, "--jobs", "3");
        Assert.DoesNotContain("starting", again);
        Assert.Contains("7/7 stages complete", again);
    }

    [Fact]
    public void A_stage_process_takes_the_stage_as_resolved_and_refuses_a_pipeline_edited_since()
    {
        var file = _temp.Combine("resolved.yaml");
        File.WriteAllText(file, File.ReadAllText(Smoke).Replace("name: smoke", "name: resolved"));
        var root = _temp.Combine("runs");
        Assert.Equal(0, DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", root).ExitCode);
        // The run's pointer is the identity a parent hands its stage process.
        var identity = Path.Combine(root, "resolved", "stages", "teacher-0.0.json");

        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(1), "run-stage", file, "--stage", "teacher-0.0", "--runs", root, "--identity", identity);
        Assert.True(code == 0, log);
        Assert.Contains("\"status\":\"uptodate\"", log.Replace(" ", "").ToLowerInvariant());

        // Edited after the parent resolved the stage: the process refuses it rather than run it under the old key.
        File.WriteAllText(file, File.ReadAllText(file).Replace("epochs: 2", "epochs: 3"));
        (code, log) = DistillCli.Run(TimeSpan.FromMinutes(1), "run-stage", file, "--stage", "teacher-0.0", "--runs", root, "--identity", identity);
        output.WriteLine(log);
        Assert.Equal(1, code);
        Assert.Contains("resolved.yaml changed since the run resolved stage", log);
    }

    [Fact]
    public void A_stage_process_that_dies_fails_its_stage_and_blocks_its_dependants_only()
    {
        var file = _temp.Combine("killed.yaml");
        File.WriteAllText(file, File.ReadAllText(Smoke).Replace("name: smoke", "name: killed"));
        var root = _temp.Combine("runs");
        using var run = DistillCli.Start("run", file, "--runs", root, "--jobs", "2");
        // Kill the first stage process that appears with SIGKILL: its stage is reported failed, the run goes on.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        int? victim = null;
        while (victim is null && DateTime.UtcNow < deadline && !run.Process.HasExited)
        {
            victim = StageProcesses(run.Process.Id).Cast<int?>().FirstOrDefault(); // null, not pid 0 (kill 0 would hit our own group)
            Thread.Sleep(100);
        }
        Assert.NotNull(victim);
        output.WriteLine($"killing {victim}: {File.ReadAllText($"/proc/{victim}/cmdline").Replace('\0', ' ')}");
        using (var kill = System.Diagnostics.Process.Start("kill", $"-KILL {victim}")) kill.WaitForExit();
        Assert.True(run.WaitForExit(TimeSpan.FromMinutes(3)), run.Output);
        output.WriteLine(run.Output);
        Assert.Equal(1, run.Process.ExitCode);
        Assert.Contains("without reporting how the stage ended", run.Output);
        Assert.Contains("blocked", run.Output);

        // The next run resumes or restarts the killed stage and completes everything.
        var (code, rerun) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", root, "--jobs", "2");
        Assert.True(code == 0, rerun);
    }

    [Fact]
    public void Stage_processes_of_a_killed_run_checkpoint_and_stop_and_the_next_run_resumes_them()
    {
        var file = _temp.Combine("orphans.yaml");
        File.WriteAllText(file, File.ReadAllText(Smoke).Replace("name: smoke", "name: orphans").Replace("  epochs: 2\n", "  epochs: 6\n"));
        var root = _temp.Combine("runs");
        using var run = DistillCli.Start("run", file, "--runs", root, "--jobs", "2");
        var folder = RunDirectory.Locate(root, "orphans");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (folder.Stage("teacher-0.0")?.ReadManifest() is not { Status: StageStatus.Running, Progress.Epoch: >= 1 })
        {
            Assert.True(DateTime.UtcNow < deadline && !run.Process.HasExited, "the teacher did not get going:\n" + run.Output);
            Thread.Sleep(100);
        }
        var children = StageProcesses(run.Process.Id);
        Assert.NotEmpty(children);
        run.Process.Kill(); // the parent only: its stage processes are orphaned
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (children.Any(pid => Directory.Exists($"/proc/{pid}")))
        {
            Assert.True(DateTime.UtcNow < deadline, "orphaned stage processes still run 30 s after their parent died");
            Thread.Sleep(100);
        }
        Assert.Equal(StageStatus.Cancelled, folder.Stage("teacher-0.0")!.ReadManifest()!.Status);
        var (code, rerun) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", root, "--jobs", "2");
        Assert.True(code == 0, rerun);
        Assert.Contains("teacher-0.0 (train): resuming", rerun);
    }

    /// <summary>Pids of the `distill run-stage` processes <paramref name="parent"/> has started and that still run.</summary>
    private static List<int> StageProcesses(int parent)
    {
        var pids = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (File.ReadAllText($"/proc/{child}/cmdline").Split('\0').Contains("run-stage")) pids.Add(int.Parse(child));
        }
        catch (IOException) { } // a process ended while we looked
        return pids;
    }
}
