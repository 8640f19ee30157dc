using System.Diagnostics;
using Distill.Learning.Data;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;
using Polly;
using Polly.Retry;

namespace Distill.Stages.Engine;

/// <summary>
/// Runs a pipeline's stages in dependency order inside its run directory. Each stage's key hashes its
/// resolved definition, its dataset's fingerprint, the format version and its inputs' keys: a stage
/// completed under the same key is skipped, one started under it is resumed from its checkpoint, any
/// other starts afresh. A failed stage blocks only the stages that read from it.
/// </summary>
public sealed class PipelineRunner(IEnumerable<IStageExecutor> executors, IStageLauncher? launcher = null) : IPipelineRunner
{
    /// <summary>Bumped when stage outputs change meaning, so old results are never reused.</summary>
    public const int FormatVersion = 3;

    public const string PipelineCopyName = "pipeline.yaml";

    private readonly Dictionary<string, IStageExecutor> _executors = executors.ToDictionary(e => e.Spec.Name);

    /// <summary>Transient I/O faults (a full disk, a flaky network mount) are retried; malformed files are not.</summary>
    private static readonly ResiliencePipeline TransientRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<IOException>(e =>
                e is not (RunFormatException or RunLockedException or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
        })
        .Build();

    public static PipelineDefinition Load(string path)
    {
        var result = PipelineLoader.Load(path);
        if (!result.Succeeded) throw new PipelineInvalidException(result.Errors.Select(e => e.ToString()).ToList());
        return result.Pipeline!;
    }

    public RunSummary Run(RunRequest request, IRunObserver observer, CancellationToken stop)
    {
        var pipeline = request.Loaded ?? Load(request.PipelinePath);
        if (request.Jobs > 1 && launcher is null) throw new InvalidOperationException("this runner cannot start stage processes (no launcher)");
        request = SharingCores(pipeline, request);
        var missing = pipeline.Stages.Select(s => s.Kind).Distinct().Where(k => !_executors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new PipelineInvalidException([$"{request.PipelinePath}:1:1: stage kind(s) {string.Join(", ", missing)} are not available in this build"]);

        TorchSharp.torch.Device device;
        (pipeline, device) = ResolveCompute(pipeline, request);
        TorchRuntime.SetThreads(pipeline.Threads);
        var missingData = DataPreflight.Problems(pipeline);
        if (missingData.Count > 0) throw new PipelineInvalidException(missingData);
        var run = RunDirectory.Open(request.RunsRoot, pipeline.Name);
        using var runLock = run.AcquireLock(observer.Info);
        using var storeUse = run.Store.Use();
        if (run.AdoptLegacyStageFolders(DateTimeOffset.UtcNow) is > 0 and var adopted)
            observer.Info($"Moved {adopted} stage folder(s) of an earlier Distill into the result store '{run.Store.RootPath}'.");
        AtomicFile.WriteAllText(Path.Combine(run.RootPath, PipelineCopyName), File.ReadAllText(request.PipelinePath));

        using var data = new DataCatalog(pipeline);
        if (request.Jobs > 1) return RunInParallel(pipeline, request, run, data, observer, stop);

        var keys = new Dictionary<string, string>();
        var outcomes = new Dictionary<string, StageOutcome>();
        foreach (var stage in pipeline.Stages)
        {
            var blockedBy = stage.Dependencies.FirstOrDefault(d => outcomes.TryGetValue(d, out var o)
                && o.Status is not (StageRunStatus.Completed or StageRunStatus.UpToDate));
            if (stop.IsCancellationRequested || blockedBy is not null)
            {
                bool stopped = stop.IsCancellationRequested;
                var reason = stopped ? "run stopped before this stage" : $"input stage '{blockedBy}' did not complete";
                var status = stopped ? StageRunStatus.Cancelled : StageRunStatus.Blocked;
                outcomes[stage.Id] = Report(observer, new StageOutcome(stage.Id, stage.Kind, status, reason, TimeSpan.Zero));
                continue;
            }
            outcomes[stage.Id] = Report(observer, RunStage(pipeline, stage, run, data, device, keys, observer, stop));
        }
        return new RunSummary(pipeline.Name, run.RootPath, pipeline.Stages.Select(s => outcomes[s.Id]).ToList());
    }

    /// <summary>
    /// Runs the pipeline with up to <see cref="RunRequest.Jobs"/> stages at once: a stage starts in its own process
    /// (through the launcher) as soon as every stage it reads from has completed; stages already completed in the
    /// store are reused here without starting one. Keys, manifests and checkpoints are those of a serial run.
    /// </summary>
    private RunSummary RunInParallel(PipelineDefinition pipeline, RunRequest request, RunDirectory run, DataCatalog data, IRunObserver observer, CancellationToken stop)
    {
        var identities = IdentifyAll(pipeline, data);
        var outcomes = new Dictionary<string, StageOutcome>();
        var running = new Dictionary<Task<StageOutcome>, string>();
        var waiting = pipeline.Stages.ToList();
        while (waiting.Count > 0 || running.Count > 0)
        {
            foreach (var stage in waiting.ToList())
            {
                if (!stage.Dependencies.All(outcomes.ContainsKey)) continue;
                var blockedBy = stage.Dependencies.FirstOrDefault(d => outcomes[d].Status is not (StageRunStatus.Completed or StageRunStatus.UpToDate));
                StageOutcome? outcome = stop.IsCancellationRequested
                    ? new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Cancelled, "run stopped before this stage", TimeSpan.Zero)
                    : blockedBy is not null
                        ? new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Blocked, $"input stage '{blockedBy}' did not complete", TimeSpan.Zero)
                        : Reuse(stage, identities[stage.Id], run);
                if (outcome is null)
                {
                    if (running.Count >= request.Jobs) continue;
                    running[Task.Run(() => launcher!.Run(request, stage.Id, observer, stop))] = stage.Id;
                }
                else outcomes[stage.Id] = Report(observer, outcome);
                waiting.Remove(stage);
            }
            if (running.Count == 0) continue;
            var done = Task.WhenAny(running.Keys).GetAwaiter().GetResult();
            outcomes[running[done]] = Report(observer, done.GetAwaiter().GetResult());
            running.Remove(done);
        }
        return new RunSummary(pipeline.Name, run.RootPath, pipeline.Stages.Select(s => outcomes[s.Id]).ToList());
    }

    /// <summary>A stage completed in the store under its key: pointed to and reported up to date without starting a process; otherwise null.</summary>
    private StageOutcome? Reuse(StageDefinition stage, StagePointer current, RunDirectory run)
    {
        var previous = run.ReadPointer(stage.Id);
        var decision = StageState.Inspect(run.Store.Entry(current.Key), current.Key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
        if (decision.Action != StageAction.Skip) return null;
        run.WritePointer(stage.Id, current);
        return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.UpToDate, decision.Reason, TimeSpan.Zero);
    }

    /// <summary>
    /// Runs one stage of the pipeline in this process, for a parallel run that started the process and holds the run's
    /// lock. The stages it reads from must have completed; otherwise it is reported blocked.
    /// </summary>
    public StageOutcome RunOneStage(RunRequest request, string stageId, IRunObserver observer, CancellationToken stop)
    {
        var pipeline = request.Loaded ?? Load(request.PipelinePath);
        var target = pipeline.Stages.FirstOrDefault(s => s.Id == stageId)
            ?? throw new PipelineInvalidException([$"{request.PipelinePath}:1:1: no stage '{stageId}'"]);
        TorchSharp.torch.Device device;
        (pipeline, device) = ResolveCompute(pipeline, request);
        TorchRuntime.SetThreads(pipeline.Threads);
        var run = RunDirectory.Open(request.RunsRoot, pipeline.Name);
        using var storeUse = run.Store.Use();
        using var data = new DataCatalog(pipeline);
        var keys = IdentifyAll(pipeline, data).ToDictionary(kv => kv.Key, kv => kv.Value.Key);
        var missing = target.Dependencies.FirstOrDefault(d => run.Store.Entry(keys[d]).ReadManifest() is not { Status: StageStatus.Completed });
        if (missing is not null)
            return new StageOutcome(stageId, target.Kind, StageRunStatus.Blocked, $"input stage '{missing}' has not completed", TimeSpan.Zero);
        return RunStage(pipeline, target, run, data, device, keys, observer, stop);
    }

    /// <summary>
    /// Stages side by side share the cores: with several jobs and `threads: 0`, each stage gets cores / jobs threads.
    /// A pipeline that pins `threads:` keeps it, so its keys (and bytes) are those of a serial run.
    /// </summary>
    private static RunRequest SharingCores(PipelineDefinition pipeline, RunRequest request) =>
        request.Jobs > 1 && pipeline.Threads == 0 && request.Threads is null
            ? request with { Threads = Math.Max(1, TorchRuntime.EffectiveThreads(0) / request.Jobs) }
            : request;

    /// <summary>
    /// The pipeline with `device: auto` and `threads: 0` replaced by what this process uses, since results depend on
    /// both and stage keys must say so.
    /// </summary>
    private static (PipelineDefinition, TorchSharp.torch.Device) ResolveCompute(PipelineDefinition pipeline, RunRequest request)
    {
        TorchSharp.torch.Device device;
        try { device = TorchRuntime.ResolveDevice(pipeline.Device); }
        catch (InvalidOperationException e) { throw new PipelineInvalidException([$"{request.PipelinePath}:1:1: device: {e.Message}"]); }
        var resolved = pipeline with
        {
            Device = device.type == TorchSharp.DeviceType.CUDA ? "cuda" : "cpu",
            Threads = TorchRuntime.EffectiveThreads(request.Threads ?? pipeline.Threads),
        };
        return (resolved, device);
    }

    /// <summary>
    /// A stage's key and what it is made of: its canonical definition, its dataset's fingerprint, the engine's format
    /// version, its inputs' keys. Returned as the pointer the run directory keeps for the stage.
    /// </summary>
    private static StagePointer Identify(PipelineDefinition pipeline, StageDefinition stage, DataCatalog data, IReadOnlyDictionary<string, string> keys)
    {
        string fingerprint = stage.Dataset is null ? "" : data.Get(stage.Dataset).Fingerprint;
        if (ExternalFiles.Fingerprint(pipeline, stage) is { Length: > 0 } imported) fingerprint += "\n" + imported;
        var definition = stage.CanonicalJson(pipeline);
        var inputKeys = stage.Dependencies.ToDictionary(d => d, d => keys[d]);
        var key = StageKey.Compute(definition, fingerprint, FormatVersion, stage.Dependencies.Select(d => keys[d]).ToList());
        return StagePointer.Create(key, stage.Kind, definition, fingerprint, inputKeys, DateTimeOffset.UtcNow);
    }

    /// <summary>Every stage's identity (key and what made it), in pipeline order so each stage's inputs come first.</summary>
    private static Dictionary<string, StagePointer> IdentifyAll(PipelineDefinition pipeline, DataCatalog data)
    {
        var keys = new Dictionary<string, string>();
        var identities = new Dictionary<string, StagePointer>();
        foreach (var stage in pipeline.Stages)
        {
            identities[stage.Id] = Identify(pipeline, stage, data, keys);
            keys[stage.Id] = identities[stage.Id].Key;
        }
        return identities;
    }

    /// <summary>What changed since the stage's previous key, for the reason line (null when the key is the same or never ran).</summary>
    private static string? ChangeSince(StagePointer? previous, StagePointer current) =>
        previous is null || string.Equals(previous.Key, current.Key, StringComparison.OrdinalIgnoreCase) ? null : previous.DescribeChangeTo(current);

    /// <summary>
    /// What <see cref="Run"/> would do with each stage now, deciding by the same keys and rule but touching nothing:
    /// reuse (from this run or from the store), resume from a checkpoint, or run fresh, with the reason, whether another
    /// process is computing that key right now, and an estimate of the time from stored durations of similar stages.
    /// A stage downstream of one that fails is blocked at run time; a plan cannot know that in advance.
    /// </summary>
    public IReadOnlyList<StagePlan> Plan(RunRequest request)
    {
        var pipeline = request.Loaded ?? Load(request.PipelinePath);
        var missingData = DataPreflight.Problems(pipeline);
        if (missingData.Count > 0) throw new PipelineInvalidException(missingData);
        (pipeline, _) = ResolveCompute(pipeline, SharingCores(pipeline, request));
        var run = RunDirectory.Locate(request.RunsRoot, pipeline.Name);
        var estimator = new DurationEstimator(run.Store);
        using var data = new DataCatalog(pipeline);
        var identities = IdentifyAll(pipeline, data);
        var plan = new List<StagePlan>();
        foreach (var stage in pipeline.Stages)
        {
            var current = identities[stage.Id];
            var previous = run.ReadPointer(stage.Id) ?? LegacyPointer(run, stage.Id);
            var decision = StageState.Inspect(run.Store.Entry(current.Key), current.Key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
            var computing = run.Store.IsBeingComputed(current.Key, out var holder) ? holder?.ToString() ?? "another process" : null;
            plan.Add(new StagePlan(stage.Id, stage.Kind, decision.Action, decision.Reason,
                estimator.Estimate(stage.Kind, current.Definition, decision), computing));
        }
        return plan;
    }

    /// <summary>A run made before the store has stage folders rather than pointers: their key still explains a change.</summary>
    private static StagePointer? LegacyPointer(RunDirectory run, string stageId) =>
        run.Stage(stageId)?.ReadManifest() is { } m
            ? StagePointer.Create(m.Key, m.Kind, "{}", "", m.Inputs.ToDictionary(i => i.StageId, i => i.Key), DateTimeOffset.UtcNow)
            : null;

    /// <summary>Logit caches are read by many students: their files are re-hashed on every run, so a damaged cache is rebuilt, never used.</summary>
    private bool VerifiesOutputs(StageDefinition stage) => _executors.TryGetValue(stage.Kind, out var executor) && executor.VerifiesOutputsOnEveryRun;

    private static StageOutcome Report(IRunObserver observer, StageOutcome outcome)
    {
        observer.StageFinished(outcome);
        return outcome;
    }

    private StageOutcome RunStage(PipelineDefinition pipeline, StageDefinition stage, RunDirectory run, DataCatalog data,
        TorchSharp.torch.Device device, Dictionary<string, string> keys, IRunObserver observer, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        StageDirectory? directory = null;
        StageManifest? manifest = null;
        try
        {
            var current = Identify(pipeline, stage, data, keys);
            var key = keys[stage.Id] = current.Key;
            var previous = run.ReadPointer(stage.Id);

            // One process computes a key at a time; a second run reaching it waits, then finds it completed.
            using var keyLock = run.Store.LockKey(key,
                holder => observer.Info($"{stage.Id}: waiting for key {StageKey.Short(key)}, which {holder?.ToString() ?? "another process"} is computing"), stop);
            if (keyLock is null)
                return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Cancelled, "stopped while waiting for another run computing the same key", clock.Elapsed);
            directory = run.Store.Entry(key);

            return TransientRetry.Execute(() =>
            {
                var decision = StageState.Prepare(directory, key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
                run.WritePointer(stage.Id, current);
                if (decision.Action == StageAction.Skip)
                    return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.UpToDate, decision.Reason, clock.Elapsed);

                observer.StageStarting(stage.Id, stage.Kind, decision.Action, decision.Reason);
                directory.WriteDefinition(stage.CanonicalJson(pipeline));
                manifest = (decision.Action == StageAction.Resume ? decision.Previous! : StageManifest.Pending(stage.Id, stage.Kind, key,
                    stage.Dependencies.Select(d => new StageInput(d, keys[d])), pipeline.Name)).StartAttempt(DateTimeOffset.UtcNow);
                directory.WriteManifest(manifest);

                var context = new StageContext(pipeline, run, stage, directory, decision, data, device, observer,
                    (progress, metrics) =>
                    {
                        manifest = manifest.WithEpoch(progress, metrics);
                        directory.WriteManifest(manifest);
                    },
                    stop);
                context.ResolveInputs();
                var result = _executors[stage.Kind].Execute(context);
                if (!result.Completed)
                {
                    directory.WriteManifest(manifest.Cancel(DateTimeOffset.UtcNow, "stopped on request; resumes from its last checkpoint"));
                    return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Cancelled, "stopped on request", clock.Elapsed);
                }
                // Outputs first, manifest last: a completed manifest always describes complete outputs.
                var outputs = directory.RecordOutputs();
                directory.WriteManifest(manifest.Complete(DateTimeOffset.UtcNow, result.Metrics, outputs));
                return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Completed, null, clock.Elapsed);
            });
        }
        catch (Exception e) when (e is DatasetException or TrainingDivergedException or PlatformDefectException or IOException or InvalidDataException or InvalidOperationException or ArgumentException or FormatException)
        {
            var reason = e.Message.ReplaceLineEndings(" ");
            if (manifest is not null) directory!.WriteManifest(manifest.Fail(DateTimeOffset.UtcNow, reason));
            return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Failed, reason, clock.Elapsed);
        }
    }
}
