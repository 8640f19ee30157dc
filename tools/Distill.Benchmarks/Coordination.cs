using System.Diagnostics;
using System.Globalization;
using Distill.Cli.Cluster;
using Distill.Pipelines;
using Hangfire;

namespace Distill.Benchmarks;

/// <summary>
/// `coordination --connection CS`: how many stage jobs per second the postgres engine's coordination sustains, with
/// 1, 5 and 20 simulated workers (Hangfire servers of one slot each, in this process) whose stages take no time:
/// each job only does the engine's scheduling step (record completion, enqueue the stages now ready). The pipeline
/// has 300 teachers, each read by one cache (600 stages). Needs a PostgreSQL (docs/distributed.md, "Sizing").
/// </summary>
internal static class Coordination
{
    private const int Teachers = 300;

    public static void Run(BenchmarkOptions options)
    {
        var connection = options.Connection ?? Environment.GetEnvironmentVariable("DISTILL_CONNECTION")
            ?? throw new ArgumentException("coordination needs --connection \"Host=...;Database=...\" (or DISTILL_CONNECTION)");
        var storage = ClusterStorage.Create(connection);
        ClusterStorage.Configure(GlobalConfiguration.Configuration, storage);
        var pipeline = SyntheticPipeline();
        Console.WriteLine($"## coordination: {pipeline.Stages.Count} stages that take no time, PostgreSQL at {new Npgsql.NpgsqlConnectionStringBuilder(connection).Host}");
        Console.WriteLine("workers   jobs/s   wall (s)");
        foreach (int workers in new[] { 1, 5, 20 })
        {
            var submission = $"bench-{workers}-{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            SimulatedStage.Reset(storage, pipeline, submission);
            var servers = Enumerable.Range(0, workers).Select(i => new BackgroundJobServer(new BackgroundJobServerOptions
            {
                WorkerCount = 1,
                Queues = [ClusterStorage.Queue],
                ServerName = $"simulated-{i}",
            }, storage)).ToList();
            var clock = Stopwatch.StartNew();
            ReadyStages.Start(storage, SimulatedStage.Enqueue, submission, pipeline);
            if (!SimulatedStage.AllDone.Wait(TimeSpan.FromMinutes(10))) throw new TimeoutException($"{workers} workers did not finish in 10 minutes");
            var seconds = clock.Elapsed.TotalSeconds;
            foreach (var server in servers) server.SendStop();
            foreach (var server in servers) server.Dispose();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workers,7} {pipeline.Stages.Count / seconds,8:F1} {seconds,10:F1}"));
        }
    }

    private static PipelineDefinition SyntheticPipeline()
    {
        var alphas = string.Join(", ", Enumerable.Range(0, Teachers).Select(i => (i / 1000.0).ToString("0.000", CultureInfo.InvariantCulture)));
        var text = $$"""
            name: bench
            datasets:
              data: { kind: fashion-mnist }
            models:
              tiny: { architecture: resnet, depth: 8, width: 8 }
            stages:
              teacher:
                kind: train
                dataset: data
                model: tiny
                matrix: { alpha: [{{alphas}}] }
                id: "t${alpha}"
                alpha: ${alpha}
              cache:
                kind: cache-logits
                matrix: { alpha: [{{alphas}}] }
                id: "c${alpha}"
                inputs: { teacher: "t${alpha}" }
            """;
        var loaded = PipelineLoader.LoadFromText(text, "bench.yaml", Distill.Stages.Kinds.StageKindRegistry.Catalogue);
        return loaded.Pipeline ?? throw new InvalidOperationException(string.Join("; ", loaded.Errors));
    }
}

/// <summary>A stage job that takes no time: it only runs the engine's scheduling step.</summary>
public sealed class SimulatedStage
{
    private static JobStorage? _storage;
    private static PipelineDefinition? _pipeline;
    private static string _submission = "";
    private static int _done;

    public static ManualResetEventSlim AllDone { get; private set; } = new(false);

    public static void Reset(JobStorage storage, PipelineDefinition pipeline, string submission)
    {
        (_storage, _pipeline, _submission, _done) = (storage, pipeline, submission, 0);
        AllDone = new ManualResetEventSlim(false);
    }

    public static void Enqueue(string stageId) =>
        new BackgroundJobClient(_storage!).Enqueue<SimulatedStage>(s => s.Run(_submission, stageId));

    [Queue(ClusterStorage.Queue)]
    public void Run(string submission, string stageId)
    {
        ReadyStages.Completed(_storage!, Enqueue, submission, _pipeline!, stageId);
        if (Interlocked.Increment(ref _done) == _pipeline!.Stages.Count) AllDone.Set();
    }
}
