using System.Text.Json;
using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// `--engine slurm` against a real single-node Slurm (slurmctld, slurmd and MUNGE started by the fixture): one sbatch
/// job per stage, dependencies as afterok, requeue and cancel with checkpoints, blocked dependants of a failed stage.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class SlurmTests(SlurmTests.Cluster cluster, ITestOutputHelper output) : IClassFixture<SlurmTests.Cluster>, IDisposable
{
    /// <summary>One Slurm for the class: it takes a few seconds to start.</summary>
    public sealed class Cluster : IDisposable
    {
        public SlurmCluster Slurm { get; } = SlurmCluster.Start();

        public void Dispose() => Slurm.Dispose();
    }

    private readonly TempFolder _temp = new();
    private SlurmCluster Slurm => cluster.Slurm;
    private string Root => _temp.Combine("root");

    public void Dispose() => _temp.Dispose();

    // One CPU per job (no `threads:`, so each stage runs with the one thread its job has): two jobs at once on 2 cores.
    private const string Header = """
        name: slurm
        seed: 5
        resources: { cpus: 1 }
        datasets:
          fmnist: { kind: fashion-mnist, validation: 50, subset: { train: 300, test: 100 } }
        models:
          tiny: { architecture: resnet, depth: 8, width: 8 }
        stages:
          teacher: { kind: train, dataset: fmnist, model: tiny, epochs: 2, batch-size: 32, lr: 0.05 }
          cache: { kind: cache-logits, splits: [train, validation, test], inputs: { teacher: teacher } }

        """;

    // Fan-out from the cache (two students and a calibration), fan-in at the report: six stages.
    private const string SixStages = Header + """
          student:
            kind: distill
            dataset: fmnist
            model: tiny
            epochs: 1
            batch-size: 32
            lr: 0.05
            matrix: { temperature: [2, 4] }
            id: "student-T${temperature}"
            temperature: ${temperature}
            inputs: { teacher: cache }
          calibrate: { kind: calibrate, inputs: { logits: cache } }
          report: { kind: report, inputs: { all: "*" } }
        """;

    private static readonly string[] SixIds = ["teacher", "cache", "student-T2", "student-T4", "calibrate", "report"];

    private (int Code, string Output) Distill(params string[] arguments)
    {
        var (code, text) = DistillCli.Run(Slurm.Environment, TimeSpan.FromMinutes(2), arguments);
        output.WriteLine($"$ distill {string.Join(' ', arguments)}\n{text}");
        return (code, text);
    }

    private string Submit(string pipeline)
    {
        var file = _temp.Combine("slurm.yaml");
        File.WriteAllText(file, pipeline);
        var (code, text) = Distill("submit", file, "--engine", "slurm", "--root", Root);
        Assert.True(code == 0, text);
        return text;
    }

    private RunDirectory Run => RunDirectory.Locate(Path.Combine(Root, "runs"), "slurm");

    /// <summary>The latest submission's record: stage -> job id.</summary>
    private Dictionary<string, string> Jobs()
    {
        var latest = Directory.GetDirectories(Path.Combine(Root, "slurm")).Order(StringComparer.Ordinal).Last();
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(latest, "submission.json")));
        return record.RootElement.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("stage").GetString()!, j => j.GetProperty("jobId").GetString()!);
    }

    private string JobLog(string stage) =>
        string.Concat(Directory.GetDirectories(Path.Combine(Root, "slurm")).Order(StringComparer.Ordinal)
            .Select(folder => Path.Combine(folder, stage + ".out")).Where(File.Exists).Select(File.ReadAllText));

    private string Describe() => $"{Slurm.Client("squeue")}\n{Slurm.Logs}\n" +
        string.Join("\n", Directory.EnumerateFiles(Path.Combine(Root, "slurm"), "*.out", SearchOption.AllDirectories).Select(f => $"--- {f}\n{File.ReadAllText(f)}"));

    private void WaitUntil(Func<bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} within {timeout}:\n{Describe()}");
            Thread.Sleep(250);
        }
    }

    private void WaitForCompleted(IEnumerable<string> ids) =>
        WaitUntil(() => ids.All(id => Run.Stage(id)?.ReadManifest() is { Status: StageStatus.Completed }), TimeSpan.FromMinutes(5), "not every stage completed");

    private bool QueueEmpty() => Slurm.Client("squeue", "-h").Trim().Length == 0;

    /// <summary>The same pipeline run by `distill run` in one process with the thread count each job had (1).</summary>
    private string SerialRun(string pipeline)
    {
        var file = _temp.Combine("serial.yaml");
        File.WriteAllText(file, pipeline.Replace("seed: 5\n", "seed: 5\nthreads: 1\n"));
        var runs = _temp.Combine("serial");
        var (code, text) = Distill("run", file, "--runs", runs);
        Assert.True(code == 0, text);
        return Path.Combine(runs, "slurm");
    }

    [Fact]
    public void Six_stages_run_as_dependent_jobs_with_a_serial_runs_keys_and_bytes_and_a_resubmission_runs_nothing()
    {
        var submitted = Submit(SixStages);

        Assert.Contains("6 jobs", submitted);
        var jobs = Jobs();
        var report = File.ReadAllText(Directory.GetFiles(Path.Combine(Root, "slurm"), "report.sh", SearchOption.AllDirectories).Single());
        Assert.Contains($"--dependency=afterok:{string.Join(':', new[] { "teacher", "cache", "student-T2", "student-T4", "calibrate" }.Select(s => jobs[s]))}", report);
        Assert.Contains("--cpus-per-task=1", report);
        Assert.Contains($"JobName=slurm:student-T4", Slurm.Client("scontrol", "show", "job", "-o", jobs["student-T4"]));
        WaitForCompleted(SixIds);
        WaitUntil(QueueEmpty, TimeSpan.FromMinutes(1), "jobs stayed in the queue");

        var (_, status) = Distill("status", "slurm", "--engine", "slurm", "--root", Root);
        Assert.Equal(6, status.Split('\n').Count(line => line.Contains("│ completed │", StringComparison.Ordinal) && jobs.Values.Any(id => line.Contains($"│ {id} ", StringComparison.Ordinal))));
        // The students ran side by side, each job on its own core.
        var students = new[] { "student-T2", "student-T4" }.Select(id => Run.Stage(id)!.ReadManifest()!).ToList();
        Assert.True(students[0].StartedAt < students[1].FinishedAt && students[1].StartedAt < students[0].FinishedAt, "the two students did not overlap");
        // The cache's job waited for the teacher's (afterok); how long after is Slurm's scheduling latency plus process start-up.
        var (teacher, cache) = (Run.Stage("teacher")!.ReadManifest()!, Run.Stage("cache")!.ReadManifest()!);
        Assert.True(cache.StartedAt >= teacher.FinishedAt);
        output.WriteLine($"end of teacher to start of its cache: {(cache.StartedAt - teacher.FinishedAt)!.Value.TotalSeconds:F1} s");

        var serial = RunDirectory.AtPath(SerialRun(SixStages));
        foreach (var id in SixIds) Assert.Equal(serial.ReadPointer(id)!.Key, Run.ReadPointer(id)!.Key);
        var expected = RunResults.Fingerprint(serial.RootPath);
        var actual = RunResults.Fingerprint(Run.RootPath);
        foreach (var id in SixIds.Where(id => id != "report")) Assert.Equal(expected[id], actual[id]);

        Assert.Contains("nothing to run, all 6 stages are in the store", Submit(SixStages));
    }

    [Theory]
    [InlineData("scontrol requeue")]
    [InlineData("SIGKILL")]
    public void A_requeued_or_killed_job_resumes_its_stage_from_the_checkpoint(string how)
    {
        var pipeline = Header.Replace("epochs: 2", "epochs: 8");
        Submit(pipeline);
        var jobs = Jobs();
        WaitUntil(() => Run.Stage("teacher")?.ReadManifest() is { Status: StageStatus.Running, Progress.Epoch: >= 2 }, TimeSpan.FromMinutes(3), "the teacher reached no checkpoint");

        if (how == "SIGKILL")
        {
            // The stage's own process, as the OOM killer would: no checkpoint at the end, the job script sees it die.
            var pid = Slurm.Client("pgrep", "-f", $"run-stage .* --stage teacher --runs {Path.Combine(Root, "runs")}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
            Slurm.Client("kill", "-KILL", pid);
        }
        else Slurm.Client("scontrol", "requeue", jobs["teacher"]);
        // Slurm holds a requeued job back for a while (its begin time, about two minutes); the test shortens that to a
        // few seconds: the node must have cleaned up the old attempt, and slurmd revokes the old attempt's credentials
        // by the second, so a new one issued within that second is killed as "Job credential revoked".
        WaitUntil(() => Slurm.Client("squeue", "-h", "-j", jobs["teacher"], "-o", "%T").Trim() == "PENDING" && Slurm.Client("sinfo", "-h", "-o", "%T").Trim() == "idle",
            TimeSpan.FromMinutes(1), "the job did not go back to pending on an idle node");
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Slurm.Client("scontrol", "update", $"JobId={jobs["teacher"]}", "StartTime=now");
        WaitForCompleted(["teacher", "cache"]);

        var log = JobLog("teacher");
        Assert.Contains("start 2", log);
        Assert.Contains("teacher (train): resuming", log);
        Assert.Equal(2, Run.Stage("teacher")!.ReadManifest()!.Attempts);
        Assert.Equal(RunResults.Fingerprint(SerialRun(pipeline)), RunResults.Fingerprint(Run.RootPath));
    }

    [Fact]
    public void Cancel_checkpoints_the_running_stage_starts_nothing_more_and_a_resubmission_finishes_the_run()
    {
        var pipeline = Header.Replace("epochs: 2", "epochs: 8");
        Submit(pipeline);
        WaitUntil(() => Run.Stage("teacher")?.ReadManifest() is { Status: StageStatus.Running, Progress.Epoch: >= 2 }, TimeSpan.FromMinutes(3), "the teacher reached no checkpoint");

        var (code, cancelled) = Distill("cancel", "slurm", "--engine", "slurm", "--root", Root);
        Assert.True(code == 0, cancelled);
        WaitUntil(QueueEmpty, TimeSpan.FromMinutes(1), "cancelled jobs stayed in the queue");
        Assert.Equal(StageStatus.Cancelled, Run.Stage("teacher")!.ReadManifest()!.Status);
        Assert.Null(Run.Stage("cache"));
        Assert.DoesNotContain("requeueing", JobLog("teacher"));

        Assert.Contains("2 jobs", Submit(pipeline));
        WaitForCompleted(["teacher", "cache"]);
        Assert.Contains("teacher (train): resuming", JobLog("teacher"));
        Assert.Equal(RunResults.Fingerprint(SerialRun(pipeline)), RunResults.Fingerprint(Run.RootPath));
    }

    [Fact]
    public void A_failing_stage_leaves_its_dependants_unrun_and_status_says_why()
    {
        Submit(SixStages.Replace("lr: 0.05 }", "lr: 1.0e+12 }"));
        WaitUntil(() => Run.Stage("teacher")?.ReadManifest() is { Status: StageStatus.Failed }, TimeSpan.FromMinutes(3), "the teacher did not fail");
        WaitUntil(QueueEmpty, TimeSpan.FromMinutes(1), "the dependants stayed in the queue");

        Assert.All(SixIds.Skip(1), id => Assert.Null(Run.Stage(id)));
        var (_, status) = Distill("status", "slurm", "--engine", "slurm", "--root", Root);
        Assert.Contains("failed: ", status);
        Assert.Contains("blocked: input stage 'teacher' failed", status);
        Assert.Contains("blocked: input stage 'cache' blocked", status);
    }

    [Fact]
    public void A_bad_resources_value_is_refused_at_submission_with_its_place_and_nothing_is_queued()
    {
        var file = _temp.Combine("slurm.yaml");
        File.WriteAllText(file, SixStages.Replace("calibrate: { kind: calibrate,", "calibrate: { kind: calibrate, resources: { memory: 4GB },"));

        var (code, text) = Distill("submit", file, "--engine", "slurm", "--root", Root);

        Assert.Equal(1, code);
        Assert.Contains("slurm.yaml:22:", text);
        Assert.Contains("memory '4GB' must match", text);
        Assert.True(QueueEmpty());
    }
}
