using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// `--engine postgres`: stage jobs in Hangfire on a real PostgreSQL (initdb on a loopback port), shared by worker
/// processes that meet only there and on the run root.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly List<DistillCli.Running> _workers = [];

    public void Dispose()
    {
        foreach (var worker in _workers) worker.Dispose();
        _temp.Dispose();
    }

    // Six teachers that read nothing, and a cache that waits for one of them.
    private const string Pipeline = """
        name: cluster
        seed: 5
        threads: 1
        datasets:
          fmnist: { kind: fashion-mnist, validation: 100, subset: { train: 600, test: 200 } }
        models:
          tiny: { architecture: resnet, depth: 8, width: 8 }
        stages:
          teacher:
            kind: train
            dataset: fmnist
            model: tiny
            epochs: 2
            batch-size: 32
            matrix: { alpha: [0.0, 0.02, 0.04, 0.06, 0.08, 0.1] }
            id: "teacher-${alpha}"
            alpha: ${alpha}
          cache: { kind: cache-logits, splits: [test], inputs: { teacher: teacher-0.0 } }
        """;

    private DistillCli.Running StartWorker(string root, PostgresServer server)
    {
        var worker = DistillCli.Start("worker", "--engine", "postgres", "--connection", server.ConnectionString, "--root", root, "--slots", "1");
        _workers.Add(worker);
        return worker;
    }

    [Fact]
    public void Three_workers_run_independent_stages_at_once_each_exactly_once_with_a_serial_runs_bytes()
    {
        using var server = PostgresServer.Start();
        var file = _temp.Combine("cluster.yaml");
        File.WriteAllText(file, Pipeline);
        var root = _temp.Combine("root");
        var workers = Enumerable.Range(0, 3).Select(_ => StartWorker(root, server)).ToList();

        var (code, submitted) = DistillCli.Run(TimeSpan.FromMinutes(1), "submit", file, "--engine", "postgres", "--connection", server.ConnectionString, "--root", root);
        output.WriteLine(submitted);
        Assert.True(code == 0, submitted);
        Assert.Contains("7 stages, 6 enqueued now", submitted);

        var run = RunDirectory.Locate(Path.Combine(root, "runs"), "cluster");
        var ids = Enumerable.Range(0, 6).Select(i => $"teacher-{i * 0.02:0.0#}").Append("cache").ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (!ids.All(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Completed }))
        {
            Assert.True(DateTime.UtcNow < deadline, "not all stages completed:\n" + string.Join("\n----\n", workers.Select(w => w.Output)));
            Thread.Sleep(500);
        }
        foreach (var worker in workers) worker.Signal("TERM");
        foreach (var worker in workers) Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)), "a worker did not stop on SIGTERM");
        var logs = workers.Select(w => w.Output).ToList();
        output.WriteLine(string.Join("\n----\n", logs));

        // Each stage started exactly once, in all workers together, and the work was spread over them.
        var manifests = ids.ToDictionary(id => id, id => run.Stage(id)!.ReadManifest()!);
        Assert.All(manifests.Values, m => Assert.Equal(1, m.Attempts));
        foreach (var id in ids)
            Assert.Equal(1, logs.Sum(log => log.Split('\n').Count(l => l.Contains($": {id} (") && l.Contains("starting"))));
        Assert.True(logs.Count(log => log.Contains("starting")) >= 2, "one worker did all the work");
        // Stages of different workers ran at the same time.
        var teachers = manifests.Where(m => m.Key.StartsWith("teacher", StringComparison.Ordinal)).Select(m => m.Value).ToList();
        Assert.Contains(teachers, a => teachers.Any(b => a != b && a.StartedAt < b.FinishedAt && b.StartedAt < a.FinishedAt));
        // The cache waited for its teacher; how long it waited after is the scheduling latency.
        Assert.True(manifests["cache"].StartedAt >= manifests["teacher-0.0"].FinishedAt);
        output.WriteLine($"end of teacher-0.0 to start of its cache (waiting for a free slot included): {(manifests["cache"].StartedAt - manifests["teacher-0.0"].FinishedAt)!.Value.TotalSeconds:F2} s");

        // The same bytes as a single-process run.
        var serial = _temp.Combine("serial");
        var (serialCode, log) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", serial);
        Assert.True(serialCode == 0, log);
        Assert.Equal(RunResults.Fingerprint(Path.Combine(serial, "cluster")), RunResults.Fingerprint(run.RootPath));
    }

    private static string Teachers(int count, int epochs) => Pipeline
        .Replace("epochs: 2", $"epochs: {epochs}")
        .Replace("[0.0, 0.02, 0.04, 0.06, 0.08, 0.1]", $"[{string.Join(", ", Enumerable.Range(0, count).Select(i => (i * 0.02).ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture)))}]");

    private (string File, string Root, RunDirectory Run) Submit(PostgresServer server, string text)
    {
        var file = _temp.Combine("cluster.yaml");
        File.WriteAllText(file, text);
        var root = _temp.Combine("root");
        var (code, submitted) = DistillCli.Run(TimeSpan.FromMinutes(1), "submit", file, "--engine", "postgres", "--connection", server.ConnectionString, "--root", root);
        Assert.True(code == 0, submitted);
        return (file, root, RunDirectory.Locate(Path.Combine(root, "runs"), "cluster"));
    }

    private static void WaitForAll(RunDirectory run, IReadOnlyList<string> ids, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ids.All(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Completed }))
        {
            Assert.True(DateTime.UtcNow < deadline, "not all stages completed:\n" + describe());
            Thread.Sleep(300);
        }
    }

    private void AssertSameAsSerial(string file, RunDirectory run)
    {
        var serial = _temp.Combine("serial");
        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", serial);
        Assert.True(code == 0, log);
        Assert.Equal(RunResults.Fingerprint(Path.Combine(serial, "cluster")), RunResults.Fingerprint(run.RootPath));
    }

    [Fact]
    public void A_stage_whose_worker_is_killed_is_resumed_by_another_worker_from_its_checkpoint()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var (a, b) = (StartWorker(root, server), StartWorker(root, server));
        var (file, _, run) = Submit(server, Teachers(2, 5));
        var ids = new[] { "teacher-0.0", "teacher-0.02", "cache" };

        // Wait until a stage of worker A has checkpointed an epoch, then kill A and its stage process (a lost machine).
        string? victim = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (victim is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "no stage of worker A reached a checkpoint:\n" + a.Output);
            victim = ids.FirstOrDefault(id => a.Output.Contains($": {id} (train): starting") && run.Stage(id)?.ReadManifest() is { Status: StageStatus.Running, Progress.Epoch: >= 1 });
            Thread.Sleep(100);
        }
        a.Process.Kill(entireProcessTree: true);
        var killedAt = DateTime.UtcNow;

        // B picks it up once its job's invisibility lapses, and resumes it.
        deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!b.Output.Contains($": {victim} (train): resuming"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{victim} was not resumed by worker B:\n" + b.Output);
            Thread.Sleep(100);
        }
        output.WriteLine($"{victim}: killed with worker A; worker B resumed it {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s later");
        WaitForAll(run, ids, TimeSpan.FromMinutes(3), () => b.Output);
        b.Signal("TERM");
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, run.Stage(victim)!.ReadManifest()!.Attempts);
        AssertSameAsSerial(file, run);
    }

    [Fact]
    public void Workers_reconnect_when_PostgreSQL_restarts_in_the_middle_and_the_run_finishes()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var workers = new[] { StartWorker(root, server), StartWorker(root, server) };
        var (file, _, run) = Submit(server, Teachers(3, 3));
        var ids = new[] { "teacher-0.0", "teacher-0.02", "teacher-0.04", "cache" };

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!ids.Any(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Running }))
        {
            Assert.True(DateTime.UtcNow < deadline, "nothing started");
            Thread.Sleep(100);
        }
        server.Stop();
        Thread.Sleep(TimeSpan.FromSeconds(5)); // stages finish while the database is down
        server.Start();
        output.WriteLine("PostgreSQL was down for 5 s");

        WaitForAll(run, ids, TimeSpan.FromMinutes(4), () => string.Join("\n----\n", workers.Select(w => w.Output)) + "\n----\n" + server.Log);
        foreach (var worker in workers) worker.Signal("TERM");
        foreach (var worker in workers) Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)));
        AssertSameAsSerial(file, run);
    }

    [Fact]
    public void Two_pipelines_submitted_at_once_both_finish_sharing_the_workers()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var workers = new[] { StartWorker(root, server), StartWorker(root, server) };
        var runs = new List<RunDirectory>();
        foreach (var name in new[] { "first", "second" })
        {
            var file = _temp.Combine(name + ".yaml");
            File.WriteAllText(file, Teachers(2, 1).Replace("name: cluster", $"name: {name}").Replace("seed: 5", name == "first" ? "seed: 5" : "seed: 6"));
            var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(1), "submit", file, "--engine", "postgres", "--connection", server.ConnectionString, "--root", root);
            Assert.True(code == 0, text);
            runs.Add(RunDirectory.Locate(Path.Combine(root, "runs"), name));
        }
        foreach (var run in runs)
            WaitForAll(run, ["teacher-0.0", "teacher-0.02", "cache"], TimeSpan.FromMinutes(3), () => string.Join("\n----\n", workers.Select(w => w.Output)));
        foreach (var worker in workers) worker.Signal("TERM");
        foreach (var worker in workers) Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)));
        // Different seeds, so different keys: six results in the shared store, none shared by accident.
        Assert.Equal(6, StageStore.Under(Path.Combine(root, "runs")).Keys().Count);
    }

    [Fact]
    public void Cancel_checkpoints_and_stops_the_running_stages_on_every_worker_and_starts_no_more()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var workers = new[] { StartWorker(root, server), StartWorker(root, server) };
        var (_, _, run) = Submit(server, Teachers(3, 30));
        var teachers = new[] { "teacher-0.0", "teacher-0.02", "teacher-0.04" };

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (teachers.Count(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Running, Progress.Epoch: >= 1 }) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "two stages did not get going:\n" + string.Join("\n----\n", workers.Select(w => w.Output)));
            Thread.Sleep(100);
        }
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(1), "cancel", "cluster", "--engine", "postgres", "--connection", server.ConnectionString, "--root", root);
        Assert.True(code == 0, text);
        var cancelledAt = DateTime.UtcNow;

        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (teachers.Any(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Running }))
        {
            Assert.True(DateTime.UtcNow < deadline, "stages still running a minute after cancel:\n" + string.Join("\n----\n", workers.Select(w => w.Output)));
            Thread.Sleep(100);
        }
        output.WriteLine($"every running stage stopped {(DateTime.UtcNow - cancelledAt).TotalSeconds:F1} s after `distill cancel`");
        Thread.Sleep(TimeSpan.FromSeconds(3)); // time for a wrongly enqueued stage to start
        var stopped = teachers.Where(id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Cancelled }).ToList();
        Assert.Equal(2, stopped.Count);
        Assert.All(stopped, id => Assert.NotNull(run.Stage(id)!.Checkpoints.Latest()));
        Assert.Null(run.Stage("cache")); // never started
        Assert.DoesNotContain(teachers, id => run.Stage(id)?.ReadManifest() is { Status: StageStatus.Running or StageStatus.Completed });
        Assert.All(workers, w => Assert.False(w.Process.HasExited, "a worker ended on cancel"));
    }

    [Fact]
    public void A_stage_that_fails_for_good_is_not_retried_blocks_its_dependants_and_status_shows_why()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var worker = StartWorker(root, server);
        var external = _temp.Combine("external");
        Directory.CreateDirectory(external);
        foreach (var split in new[] { "validation", "test" })
        foreach (var name in new[] { "logits", "labels", "indices" })
            File.WriteAllText(Path.Combine(external, $"{name}-{split}.npy"), "not numbers");
        var (_, _, run) = Submit(server, Teachers(1, 1) + $"\n  outside: {{ kind: import-logits, dataset: fmnist, splits: [validation, test], path: {external} }}\n"
            + "  outside-calibration: { kind: calibrate, inputs: { logits: outside } }\n"
            + "  outside-report: { kind: report, inputs: { calibration: outside-calibration } }\n");

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (run.Stage("outside")?.ReadManifest() is not { Status: StageStatus.Failed } || run.Stage("cache")?.ReadManifest() is not { Status: StageStatus.Completed })
        {
            Assert.True(DateTime.UtcNow < deadline, "the run did not settle:\n" + worker.Output);
            Thread.Sleep(200);
        }
        Thread.Sleep(TimeSpan.FromSeconds(3)); // a retry would have started by now
        Assert.Equal(1, run.Stage("outside")!.ReadManifest()!.Attempts);

        (int code, string status) Status() =>
            DistillCli.Run(TimeSpan.FromMinutes(1), "status", "--root", root, "--engine", "postgres", "--connection", server.ConnectionString);
        var (code, status) = Status();
        // The job records the failure, blocking the dependants, just after the stage process wrote the manifest.
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(30); !status.Contains("outside-report") && DateTime.UtcNow < until; Thread.Sleep(500))
            (code, status) = Status();
        output.WriteLine(status);
        Assert.Equal(0, code);
        // Blocked as a local run blocks them, each by the input that did not complete, and never enqueued.
        Assert.Contains("blocked stages", status);
        Assert.Contains("input stage 'outside' did not complete", status);
        Assert.Contains("input stage 'outside-calibration' did not complete", status);
        Assert.Null(run.Stage("outside-calibration"));
        Assert.Null(run.Stage("outside-report"));
        Assert.Contains("1 failed", status);
        Assert.Contains("failed stages", status);
        Assert.Contains("/ outside", status);
        Assert.Contains("not a NumPy .npy file", status);
        Assert.Contains(Environment.MachineName, status); // the worker, by host:pid
        worker.Signal("TERM");
        Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_dashboard_shows_each_run_with_states_workers_and_report_and_Chromium_renders_it()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var worker = StartWorker(root, server);
        var (_, _, run) = Submit(server, Teachers(2, 1) + "\n  report: { kind: report, inputs: { all: \"*\" } }\n");
        WaitForAll(run, ["teacher-0.0", "teacher-0.02", "cache", "report"], TimeSpan.FromMinutes(3), () => worker.Output);

        int port = PostgresServer.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dashboard = DistillCli.Start("dashboard", "--engine", "postgres", "--connection", server.ConnectionString, "--root", root, "--urls", url, "--token", "s3cret");
        _workers.Add(dashboard);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string page;
        while (true)
        {
            try { page = await http.GetStringAsync("/runs/cluster"); break; }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { await Task.Delay(300); }
        }
        output.WriteLine(page);
        foreach (var expected in new[] { "teacher-0.0", "teacher-0.02", "cache", "class=\"completed\"", $"{Environment.MachineName}:", "/runs/cluster/report" })
            Assert.Contains(expected, page);
        Assert.True(page.IndexOf("teacher-0.0", StringComparison.Ordinal) < page.IndexOf("<td>cache", StringComparison.Ordinal), "stages are not in pipeline order");
        Assert.Contains("Distill report", await http.GetStringAsync("/runs/cluster/report"));
        Assert.Contains("cluster", await http.GetStringAsync("/runs"));

        // A second dashboard on the same port: one line, exit 1.
        var (busyCode, busy) = DistillCli.Run(TimeSpan.FromSeconds(60), "dashboard", "--engine", "postgres", "--connection", server.ConnectionString, "--root", root, "--urls", url);
        output.WriteLine(busy);
        Assert.Equal(1, busyCode);
        Assert.StartsWith($"error: cannot serve the dashboard on {url}:", busy.Trim());
        Assert.Single(busy.Trim().Split('\n'));

        // Hangfire's own pages: read-only (no buttons) without the token, with buttons once the token was given.
        var readOnly = await http.GetStringAsync("/hangfire/jobs/succeeded");
        Assert.Contains("Distill", readOnly);
        using var withToken = new HttpClient { BaseAddress = new Uri(url) };
        var unlocked = await withToken.GetStringAsync("/hangfire/jobs/succeeded?token=s3cret");
        Assert.DoesNotContain("js-jobs-list-command", readOnly);
        Assert.Contains("js-jobs-list-command", unlocked);

        // Headless Chromium renders the run page: a 1200 x 700 screenshot with the green of completed stages and the dark table header.
        var png = _temp.Combine("run-page.png");
        var chromium = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--screenshot={png}", "--window-size=1200,700", $"{url}/runs/cluster"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        Assert.True(chromium.WaitForExit(TimeSpan.FromSeconds(60)), "chromium did not finish");
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal((1200, 700), (bitmap.Width, bitmap.Height));
        int completed = 0, header = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red == 0xCC && c.Green == 0xFF && c.Blue == 0xCC) completed++;
                if (c.Red == 0x22 && c.Green == 0x33 && c.Blue == 0x44) header++;
            }
        output.WriteLine($"screenshot: {completed} sampled pixels of completed-stage green, {header} of header blue");
        Assert.True(completed > 200, $"the screenshot shows no completed stages ({completed} green pixels)");
        Assert.True(header > 200, $"the screenshot shows no stage table header ({header} pixels)");
        worker.Signal("TERM");
    }

    [Fact]
    public void Devices_give_each_slot_its_own_GPU()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var worker = DistillCli.Start("worker", "--engine", "postgres", "--connection", server.ConnectionString, "--root", root, "--devices", "0,1");
        _workers.Add(worker);
        var (_, _, run) = Submit(server, Teachers(2, 2));
        WaitForAll(run, ["teacher-0.0", "teacher-0.02", "cache"], TimeSpan.FromMinutes(3), () => worker.Output);
        output.WriteLine(worker.Output);
        // Two slots (one per device) ran the two teachers side by side, each on its own device.
        var lines = worker.Output.Split('\n');
        var teacherDevices = new[] { "teacher-0.0", "teacher-0.02" }
            .Select(id => lines.Single(l => l.Contains($"/{id}: on device ")).Split("on device ")[1].Trim()).ToList();
        Assert.Equal(["0", "1"], teacherDevices.Order());
        var (a, b) = (run.Stage("teacher-0.0")!.ReadManifest()!, run.Stage("teacher-0.02")!.ReadManifest()!);
        Assert.True(a.StartedAt < b.FinishedAt && b.StartedAt < a.FinishedAt, "the two slots did not run at once");
        worker.Signal("TERM");
    }

    [Fact]
    public void A_worker_stopped_with_SIGTERM_checkpoints_and_its_stage_goes_back_to_the_queue_for_the_next()
    {
        using var server = PostgresServer.Start();
        var root = _temp.Combine("root");
        var first = StartWorker(root, server);
        var (file, _, run) = Submit(server, Teachers(1, 6));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (run.Stage("teacher-0.0")?.ReadManifest() is not { Status: StageStatus.Running, Progress.Epoch: >= 1 })
        {
            Assert.True(DateTime.UtcNow < deadline, "the teacher did not get going:\n" + first.Output);
            Thread.Sleep(100);
        }
        first.Signal("TERM");
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(60)), "the worker did not stop on SIGTERM:\n" + first.Output);
        Assert.Equal(0, first.Process.ExitCode);
        Assert.Equal(StageStatus.Cancelled, run.Stage("teacher-0.0")!.ReadManifest()!.Status);

        // The job went back to the queue: a worker started later resumes the stage from its checkpoint at once.
        var second = StartWorker(root, server);
        WaitForAll(run, ["teacher-0.0", "cache"], TimeSpan.FromMinutes(3), () => second.Output);
        Assert.Contains(": teacher-0.0 (train): resuming", second.Output);
        second.Signal("TERM");
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)));
        AssertSameAsSerial(file, run);
    }
}
