using Distill.Cli.Queue;
using Distill.EndToEnd.Tests.Support;
using Distill.Pipelines;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>Real worker processes: killed and restarted, or two of them sharing one root.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class WorkerConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Dictionary<string, string> FastWorker = new()
    {
        ["DISTILL_PollInterval"] = "00:00:00.2",
        ["DISTILL_LockedRetryDelay"] = "00:00:00.5",
    };

    private readonly TempFolder _temp = new();
    private readonly List<DistillCli.Running> _workers = [];

    public void Dispose()
    {
        foreach (var worker in _workers) worker.Dispose(); // kills any left running by a failed assertion
        _temp.Dispose();
    }

    private DistillCli.Running StartWorker(string root)
    {
        var worker = DistillCli.Start(FastWorker, "worker", "--root", root);
        _workers.Add(worker);
        return worker;
    }

    private void Submit(string pipeline, string root)
    {
        var (code, text) = DistillCli.Run(TimeSpan.FromSeconds(60), "submit", pipeline, "--root", root);
        Assert.True(code == 0, text);
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, describe());
            Thread.Sleep(200);
        }
    }

    [Fact]
    public void WorkerKilledWithSigkillFiveTimesThenRestartedGivesTheUninterruptedResult()
    {
        var pipeline = DistillCli.TestPipeline("resume.yaml");
        var straight = _temp.Combine("straight");
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", straight);
        Assert.True(code == 0, text);
        var expected = RunResults.Fingerprint(Path.Combine(straight, "resume"));

        var root = _temp.Combine("root");
        Submit(pipeline, root);
        var layout = new QueueLayout(root);
        var random = new Random(77);
        int kills = 0;
        for (int attempt = 0; attempt < 12 && kills < 5; attempt++)
        {
            var worker = StartWorker(root);
            // A worker needs about a second to start; kill it at a random point after that.
            if (worker.WaitForExit(TimeSpan.FromSeconds(0.8 + 0.5 * random.NextDouble()))) continue;
            if (QueueLayout.PipelineFiles(layout.Done).Count == 1) break; // finished before this kill
            worker.Signal("KILL");
            worker.WaitForExit(TimeSpan.FromSeconds(10));
            kills++;
            output.WriteLine($"kill {kills}: {string.Join(" | ", worker.Output.Split('\n').Where(l => l.Contains("resume/")).TakeLast(2))}");
        }
        Assert.True(kills >= 5, $"only {kills} kills landed before the pipeline finished");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = StartWorker(root);
        WaitUntil(() => QueueLayout.PipelineFiles(layout.Done).Count == 1, TimeSpan.FromMinutes(3), () => "not done:\n" + last.Output);
        output.WriteLine($"the last worker finished the pipeline in {clock.Elapsed.TotalSeconds:F1} s");
        last.Signal("TERM");
        Assert.True(last.WaitForExit(TimeSpan.FromSeconds(10)), "the worker did not stop on SIGTERM");
        Assert.Equal(0, last.Process.ExitCode);
        var actual = RunResults.Fingerprint(Path.Combine(layout.Runs, "resume"));
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (stage, fingerprint) in expected)
            Assert.True(fingerprint == actual[stage], $"{stage} differs from the straight run:\n  straight: {fingerprint}\n  resumed:  {actual[stage]}");
    }

    [Fact]
    public void TwoWorkersOnOneRootNeverRunTheSameStageTwice()
    {
        var pipeline = DistillCli.TestPipeline("cache.yaml");
        var root = _temp.Combine("root");
        var layout = new QueueLayout(root);
        var stageIds = PipelineLoader.Load(pipeline, Distill.Stages.Kinds.StageKindRegistry.Catalogue).Pipeline!.Stages.Select(s => s.Id).ToList();
        // The same pipeline twice: both workers claim a copy, both copies target one run directory.
        Submit(pipeline, root);
        Submit(pipeline, root);
        var first = StartWorker(root);
        var second = StartWorker(root);
        WaitUntil(() => QueueLayout.PipelineFiles(layout.Done).Count == 2, TimeSpan.FromMinutes(3),
            () => $"both copies not done:\n--- worker 1\n{first.Output}\n--- worker 2\n{second.Output}");
        foreach (var worker in new[] { first, second })
        {
            worker.Signal("TERM");
            Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(10)));
        }

        var logs = first.Output + second.Output;
        output.WriteLine(logs);
        foreach (var id in stageIds)
        {
            int starts = logs.Split('\n').Count(l => l.Contains($"cache/{id} (") && (l.Contains(": starting") || l.Contains(": resuming")));
            Assert.True(starts == 1, $"stage {id} was started {starts} times");
            Assert.Equal(1, RunResults.Manifest(Path.Combine(layout.Runs, "cache"), id).Attempts);
        }
    }
}
