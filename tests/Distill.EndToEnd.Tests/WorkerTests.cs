using System.Text.RegularExpressions;
using Distill.Cli.Commands;
using Distill.Cli.Queue;
using Distill.Cli.Worker;
using Distill.EndToEnd.Tests.Support;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>The worker's queue, submit, status and cancel, and the worker loop driven by a scripted engine (no training).</summary>
public sealed class WorkerTests : IDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);
    private readonly TempFolder _temp = new();
    private readonly QueueLayout _layout;

    public WorkerTests()
    {
        _layout = new QueueLayout(_temp.Combine("root"));
    }

    public void Dispose() => _temp.Dispose();

    private static string SmokeText => File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"));

    /// <summary>A valid pipeline file named <paramref name="name"/> (the smoke pipeline renamed), outside the queue.</summary>
    private string PipelineFile(string name)
    {
        var path = _temp.Combine($"{name}.yaml");
        File.WriteAllText(path, Regex.Replace(SmokeText, @"(?m)^name: smoke$", $"name: {name}"));
        return path;
    }

    private string Queue(string name) =>
        new PipelineSubmitter(_layout).Submit(PipelineFile(name), DateTimeOffset.UtcNow).QueuedPath
        ?? throw new InvalidOperationException("submit failed");

    private static IReadOnlyList<string> Names(string folder) => QueueLayout.PipelineFiles(folder).Select(Path.GetFileName).ToList()!;

    // ---- host -----------------------------------------------------------------------------------

    [Fact]
    public void HostBindsTheCommandLineOverItsSourcesOnce()
    {
        using var host = WorkerHost.Build(new Dictionary<string, string?> { ["Root"] = _temp.Path, ["PollInterval"] = "00:00:05", ["Slots"] = "3" });

        var options = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;

        Assert.Equal((_temp.Path, TimeSpan.FromSeconds(5), 3), (options.Root, options.PollInterval, options.Slots));
        Assert.Same(options, host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value);
        Assert.Equal(options.ShutdownTimeout, host.Services.GetRequiredService<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void HostRejectsBadSettingsWithEveryProblem()
    {
        var error = Assert.Throws<OptionsValidationException>(() => WorkerHost.Build(new Dictionary<string, string?> { ["Slots"] = "0", ["Engine"] = "postgres" }));

        Assert.Contains(error.Failures, f => f.Contains("Slots must be at least 1", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("the postgres engine needs Connection", StringComparison.Ordinal));
    }

    [Fact]
    public void AWorkerWithAnUnreadableSettingExitsTwoWithOneLine()
    {
        var (code, output) = DistillCli.Run(TimeSpan.FromSeconds(60), "worker", "--root", _temp.Path, "--poll-interval", "soon");

        Assert.Equal(2, code);
        Assert.Contains("error: worker settings:", output);
        Assert.Contains("PollInterval", output);
    }

    // ---- queue ----------------------------------------------------------------------------------

    [Fact]
    public async Task TwoClaimersRacingForOneFileExactlyOneWins()
    {
        _layout.EnsureCreated();
        var a = new JobQueue(_layout);
        var b = new JobQueue(_layout);
        for (var round = 0; round < 50; round++)
        {
            var name = $"p{round}.yaml";
            File.WriteAllText(Path.Combine(_layout.Queue, name), "name: p\n");
            using var start = new Barrier(2);
            ClaimedJob? Claim(JobQueue q)
            {
                start.SignalAndWait();
                return q.TryClaimNext();
            }
            var claims = await Task.WhenAll(Task.Run(() => Claim(a)), Task.Run(() => Claim(b)));

            var winners = claims.Where(j => j is not null).ToList();
            Assert.Single(winners);
            Assert.Equal(name, winners[0]!.FileName);
            Assert.Empty(Names(_layout.Queue));
            Assert.True(File.Exists(Path.Combine(_layout.Claimed, name)));
            a.Complete(winners[0]!);
        }
        Assert.Equal(50, Names(_layout.Done).Count);
        Assert.Empty(Directory.GetFiles(_layout.Claimed));
    }

    [Fact]
    public void FilesLeftClaimedByADeadWorkerGoBackToTheQueueButLiveClaimsStay()
    {
        _layout.EnsureCreated();
        var queue = new JobQueue(_layout);
        File.WriteAllText(Path.Combine(_layout.Queue, "dead.yaml"), "x");
        File.WriteAllText(Path.Combine(_layout.Queue, "live.yaml"), "x");
        var dead = queue.TryClaim("dead.yaml")!;
        var live = queue.TryClaim("live.yaml")!;
        // A worker killed with SIGKILL: the kernel drops its lock, the file stays in claimed/.
        dead.Claim.Dispose();

        Assert.Equal(["dead.yaml"], queue.RecoverOrphans());
        Assert.Equal(["dead.yaml"], Names(_layout.Queue));
        Assert.Equal(["live.yaml"], Names(_layout.Claimed));
        Assert.True(OwnerLock.IsHeld(QueueOwner.LockPathFor(_layout, "live.yaml")));
        Assert.Empty(queue.RecoverOrphans());
        queue.Complete(live);
        Assert.False(OwnerLock.IsHeld(QueueOwner.LockPathFor(_layout, "live.yaml")));
    }

    // ---- submit ---------------------------------------------------------------------------------

    [Fact]
    public void SubmittingAnInvalidFileReportsLocatedErrorsAndWritesNothing()
    {
        var bad = _temp.Combine("bad.yaml");
        File.WriteAllText(bad, "name: bad\nseed: [not, a, number]\n");

        var result = new PipelineSubmitter(_layout).Submit(bad, DateTimeOffset.UtcNow);

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors);
        Assert.All(result.Errors, e => Assert.Matches(@"bad\.yaml:\d+:\d+: ", e));
        Assert.False(Directory.Exists(_layout.Root), "submit of an invalid file must not create the queue");
    }

    [Fact]
    public void SubmittingTwiceInTheSameInstantQueuesTwoCopiesUnderUniqueNames()
    {
        var file = PipelineFile("twice");
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var submitter = new PipelineSubmitter(_layout);

        var first = submitter.Submit(file, now);
        var second = submitter.Submit(file, now);

        Assert.Equal("twice-20260102T030405678Z.yaml", Path.GetFileName(first.QueuedPath));
        Assert.NotEqual(first.QueuedPath, second.QueuedPath);
        Assert.Equal(File.ReadAllText(file), File.ReadAllText(second.QueuedPath!));
        Assert.Equal(2, Names(_layout.Queue).Count);
        Assert.Empty(Directory.GetFiles(_layout.Queue, ".*")); // no temporary leftovers
    }

    // ---- status ---------------------------------------------------------------------------------

    /// <summary>A run directory written by hand: a failed, a completed and a running stage, no pipeline copy.</summary>
    private string FakeRun(string name)
    {
        var run = RunDirectory.Open(_layout.Runs, name);
        var t0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var pending = (string id, string kind) => StageManifest.Pending(id, kind, new string(id[0], 64), []);

        RunResults.WriteStage(run, pending("b-train", "train").StartAttempt(t0)
            .WithEpoch(new StageProgress(2, 20), new EpochMetrics(2, new Dictionary<string, double> { ["validation_accuracy"] = 0.5 }))
            .Complete(t0.AddSeconds(95), new Dictionary<string, double>
            {
                ["validation_accuracy"] = 0.875, ["test_accuracy"] = 0.8614, ["ece"] = 0.04213,
            }, []));
        RunResults.WriteStage(run, pending("a-cache", "cache-logits").StartAttempt(t0).Fail(t0.AddSeconds(3), "disk full while writing logits"));
        RunResults.WriteStage(run, pending("c-student", "distill").StartAttempt(DateTimeOffset.UtcNow.AddSeconds(-30))
            .WithEpoch(new StageProgress(3, 30), new EpochMetrics(3, new Dictionary<string, double> { ["validation_accuracy"] = 0.625 })));
        return run.RootPath;
    }

    private static (int Code, string Text) Status(string? run, QueueLayout layout, string? runs = null)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 300;
        var code = StatusCommand.Run(run, layout, runs, console);
        return (code, writer.ToString());
    }

    private static string Line(string text, string fragment) =>
        text.Split('\n').SingleOrDefault(l => l.Contains(fragment)) ?? throw new Xunit.Sdk.XunitException($"no line with '{fragment}' in:\n{text}");

    [Fact]
    public void StatusOfARunWithoutItsPipelineListsStagesAlphabeticallyWithStateMetricsAndReasons()
    {
        FakeRun("fake");

        var (code, text) = Status("fake", _layout);

        Assert.Equal(0, code);
        var order = new[] { "a-cache", "b-train", "c-student" }.Select(id => text.IndexOf(id, StringComparison.Ordinal)).ToList();
        Assert.All(order, i => Assert.True(i >= 0, text));
        Assert.Equal(order.Order().ToList(), order);

        var failed = Line(text, "a-cache");
        Assert.Contains("failed", failed);
        Assert.Contains("disk full while writing logits", failed);
        Assert.Contains("3.0 s", failed);

        var completed = Line(text, "b-train");
        Assert.Contains("completed", completed);
        Assert.Contains("87.50 %", completed);
        Assert.Contains("86.14 %", completed);
        Assert.Contains("0.0421", completed);
        Assert.Contains("1m 35s", completed);

        var running = Line(text, "c-student");
        Assert.Contains("running", running);
        Assert.Contains("62.50 %", running); // latest epoch's metric while the stage runs
        Assert.Contains("1/3 stages completed", text);
    }

    [Fact]
    public void StatusFollowsTheRunsPipelineOrderAndShowsEpochProgress()
    {
        var run = RunDirectory.Open(_layout.Runs, "smoke");
        File.WriteAllText(Path.Combine(run.RootPath, PipelineRunner.PipelineCopyName), SmokeText);
        RunResults.WriteStage(run, StageManifest.Pending("teacher-0.1", "train", new string('b', 64), [])
            .StartAttempt(DateTimeOffset.UtcNow).WithEpoch(new StageProgress(1, 13)));

        var (code, text) = Status("smoke", _layout);

        Assert.Equal(0, code);
        var ids = PipelineLoader.Load(Path.Combine(run.RootPath, PipelineRunner.PipelineCopyName), Distill.Stages.Kinds.StageKindRegistry.Catalogue).Pipeline!.Stages.Select(s => s.Id).ToList();
        var positions = ids.Select(id => text.IndexOf(id + " ", StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0, text));
        Assert.Equal(positions.Order().ToList(), positions);
        Assert.Contains("not started", Line(text, "teacher-0.0 "));
        Assert.Contains("1/2", Line(text, "teacher-0.1 ")); // epochs: 2 in the pipeline
    }

    [Fact]
    public void StatusWithoutARunListsRunsAndQueueCountsAndAcceptsAPlainRunsFolder()
    {
        FakeRun("fake");
        Queue("waiting");

        var (code, text) = Status(null, _layout);
        Assert.Equal(0, code);
        Assert.Contains("1/3", Line(text, "fake"));
        Assert.Contains("Queue: 1 pending, 0 claimed, 0 done, 0 failed, 0 cancelled", text);

        // `--runs` points straight at a folder `distill run` wrote; an empty root has no queue to report.
        var (code2, text2) = Status(null, new QueueLayout(_temp.Combine("elsewhere")), _layout.Runs);
        Assert.Equal(0, code2);
        Assert.Contains("fake", text2);
        Assert.DoesNotContain("Queue:", text2);
    }

    [Fact]
    public void StatusOfAnUnknownRunFails()
    {
        FakeRun("fake");
        Assert.Equal(1, Status("nope", _layout).Code);
    }

    // ---- cancel ---------------------------------------------------------------------------------

    [Fact]
    public void CancelMovesQueuedFilesOfThatPipelineOnlyAndMarksTheRunningOne()
    {
        var queued = Path.GetFileName(Queue("victim"));
        var other = Path.GetFileName(Queue("bystander"));
        var canceller = new RunCanceller(_layout);

        var first = canceller.Cancel("victim", DateTimeOffset.UtcNow);
        Assert.Equal([queued], first.CancelledPending);
        Assert.Empty(first.StopRequested);
        Assert.Equal([queued], Names(_layout.Cancelled));
        Assert.True(File.Exists(Path.Combine(_layout.Cancelled, queued + QueueLayout.ReasonSuffix)));
        Assert.Equal([other], Names(_layout.Queue));
        Assert.False(File.Exists(Path.Combine(_layout.CancelRequests, "victim")), "no marker when nothing of that run is claimed");

        // Now the other pipeline is running: cancel leaves a marker naming exactly its claimed file.
        var job = new JobQueue(_layout).TryClaimNext()!;
        var second = canceller.Cancel("bystander", DateTimeOffset.UtcNow);
        Assert.Equal([other], second.StopRequested);
        var requests = new CancelRequests(_layout);
        Assert.True(requests.IsRequested("bystander", job));
        Assert.False(requests.IsRequested("bystander", job with { FileName = "bystander-later.yaml" }));

        Assert.True(canceller.Cancel("nobody", DateTimeOffset.UtcNow).NothingFound);
    }

    // ---- the worker loop with a scripted engine --------------------------------------------------

    /// <summary>An engine stand-in: each call runs the next script against the request and stop token.</summary>
    private sealed class ScriptedRunner(params Func<RunRequest, CancellationToken, RunSummary>[] scripts) : IPipelineRunner
    {
        private int _calls;

        public int Calls => _calls;

        public RunSummary Run(RunRequest request, IRunObserver observer, CancellationToken stop)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            return scripts[Math.Min(call, scripts.Length - 1)](request, stop);
        }
    }

    private static RunSummary Summary(RunRequest request, StageRunStatus status) =>
        new(PipelineLoader.Load(request.PipelinePath, Distill.Stages.Kinds.StageKindRegistry.Catalogue).Pipeline!.Name, request.RunsRoot,
            [new StageOutcome("teacher-0.0", "train", status, status == StageRunStatus.Completed ? null : "scripted", TimeSpan.FromSeconds(1))]);

    /// <summary>Waits for the stop token the way the engine does (after its current step), then reports the stop.</summary>
    private static Func<RunRequest, CancellationToken, RunSummary> UntilStopped(ManualResetEventSlim started) => (request, stop) =>
    {
        started.Set();
        stop.WaitHandle.WaitOne(WaitLimit);
        return Summary(request, stop.IsCancellationRequested ? StageRunStatus.Cancelled : StageRunStatus.Completed);
    };

    private PipelineWorker Worker(IPipelineRunner runner) =>
        new(Options.Create(new WorkerOptions
        {
            Root = _layout.Root,
            PollInterval = TimeSpan.FromMilliseconds(50),
            LockedRetryDelay = TimeSpan.FromMilliseconds(300),
        }), NullLogger<PipelineWorker>.Instance, () => runner);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public async Task WorkerFilesFinishedRunsUnderDoneOrFailedAndKeepsServing()
    {
        var good = Path.GetFileName(Queue("good"));
        var bad = Path.GetFileName(Queue("bad"));
        File.WriteAllText(Path.Combine(_layout.Queue, "broken.yaml"), "name: broken\n");
        var runner = new ScriptedRunner((r, _) => Summary(r, PipelineLoader.Load(r.PipelinePath, Distill.Stages.Kinds.StageKindRegistry.Catalogue).Pipeline!.Name == "good" ? StageRunStatus.Completed : StageRunStatus.Failed));
        var worker = Worker(runner);

        await worker.StartAsync(CancellationToken.None);
        WaitUntil(() => Names(_layout.Done).Count + Names(_layout.Failed).Count == 3, "all three files are filed");
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal([good], Names(_layout.Done));
        Assert.Equal(new[] { bad, "broken.yaml" }.Order(), Names(_layout.Failed).Order());
        Assert.Contains("teacher-0.0: failed - scripted", File.ReadAllText(Path.Combine(_layout.Failed, bad + QueueLayout.ReasonSuffix)));
        var invalid = File.ReadAllText(Path.Combine(_layout.Failed, "broken.yaml" + QueueLayout.ReasonSuffix));
        Assert.Matches(@"broken\.yaml:\d+:\d+: .*stages", invalid);
        Assert.Equal(2, runner.Calls); // the invalid file never reached the engine
        Assert.Empty(Directory.GetFiles(_layout.Claimed));
    }

    [Fact]
    public async Task ShutdownStopsTheRunAfterItsStepAndPutsTheFileBackInTheQueue()
    {
        var file = Path.GetFileName(Queue("long"));
        using var started = new ManualResetEventSlim();
        var worker = Worker(new ScriptedRunner(UntilStopped(started)));

        await worker.StartAsync(CancellationToken.None);
        Assert.True(started.Wait(WaitLimit));
        await worker.StopAsync(CancellationToken.None);

        Assert.True(worker.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Equal([file], Names(_layout.Queue));
        Assert.Empty(Directory.GetFiles(_layout.Claimed)); // neither the file nor its owner sidecar
    }

    [Fact]
    public async Task CancelStopsOnlyTheRunningPipelineWhichGoesToCancelledWhileTheWorkerGoesOn()
    {
        var victim = Path.GetFileName(Queue("victim"));
        using var started = new ManualResetEventSlim();
        var runner = new ScriptedRunner(UntilStopped(started), (r, _) => Summary(r, StageRunStatus.Completed));
        var worker = Worker(runner);

        await worker.StartAsync(CancellationToken.None);
        Assert.True(started.Wait(WaitLimit));
        var next = Path.GetFileName(Queue("next"));
        Assert.Equal([victim], new RunCanceller(_layout).Cancel("victim", DateTimeOffset.UtcNow).StopRequested);
        WaitUntil(() => Names(_layout.Done).Count == 1, "the next pipeline ran");
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal([victim], Names(_layout.Cancelled));
        Assert.Equal([next], Names(_layout.Done));
        Assert.False(File.Exists(Path.Combine(_layout.CancelRequests, "victim")), "the honoured marker is removed");
    }

    [Fact]
    public async Task ARunDirectoryOwnedByAnotherProcessIsRetriedLaterNotFailed()
    {
        var file = Path.GetFileName(Queue("busy"));
        var runner = new ScriptedRunner(
            (_, _) => throw new RunLockedException("run.lock", null, "Run directory is in use by pid 1."),
            (r, _) => Summary(r, StageRunStatus.Completed));
        var worker = Worker(runner);

        await worker.StartAsync(CancellationToken.None);
        WaitUntil(() => Names(_layout.Done).Count == 1, "the retry completed");
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal(2, runner.Calls);
        Assert.Equal([file], Names(_layout.Done));
        Assert.Empty(Names(_layout.Failed));
    }
}

/// <summary>The real `distill worker` process: submit, run the smoke pipeline, SIGTERM, exit 0.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class WorkerProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();
    private DistillCli.Running? _worker;

    public void Dispose()
    {
        _worker?.Dispose(); // kills it if a failed assertion left it running
        _temp.Dispose();
    }

    [Fact]
    public void WorkerRunsASubmittedPipelineToTheEndAndExitsZeroOnSigterm()
    {
        var root = _temp.Combine("root");
        var pipeline = _temp.Combine("smoke.yaml");
        File.Copy(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"), pipeline);
        var stageIds = PipelineLoader.Load(pipeline, Distill.Stages.Kinds.StageKindRegistry.Catalogue).Pipeline!.Stages.Select(s => s.Id).ToList();

        var (submitCode, submitText) = DistillCli.Run(TimeSpan.FromSeconds(60), "submit", pipeline, "--root", root);
        Assert.True(submitCode == 0, submitText);
        var layout = new QueueLayout(root);
        Assert.Single(QueueLayout.PipelineFiles(layout.Queue));

        _worker = DistillCli.Start("worker", "--root", root, "--poll-interval", "00:00:00.2");
        var run = Path.Combine(layout.Runs, "smoke");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        bool AllCompleted() => stageIds.All(id =>
            RunDirectory.AtPath(run).Stage(id)?.ReadManifest() is { Status: StageStatus.Completed });
        while (!(AllCompleted() && QueueLayout.PipelineFiles(layout.Done).Count == 1))
        {
            Assert.False(_worker.Process.HasExited, $"worker exited early:\n{_worker.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"smoke pipeline not done within 120 s:\n{_worker.Output}");
            Thread.Sleep(250);
        }

        _worker.Signal("TERM");
        var exited = _worker.WaitForExit(TimeSpan.FromSeconds(10));
        output.WriteLine(_worker.Output);
        Assert.True(exited, "worker did not exit within 10 s of SIGTERM");
        Assert.Equal(0, _worker.Process.ExitCode);
        Assert.Contains("Worker stopped", _worker.Output);
        Assert.False(File.Exists(Path.Combine(run, RunDirectory.LockFileName + OwnerLock.OwnerSuffix)), "the run lock is released");
        Assert.False(OwnerLock.IsHeld(Path.Combine(run, RunDirectory.LockFileName)));
        Assert.Empty(Directory.GetFiles(layout.Claimed));
    }
}
