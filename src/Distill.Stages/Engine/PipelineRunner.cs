using System.Text.Json;
using System.Diagnostics;
using Distill.Learning.Data;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;

namespace Distill.Stages.Engine;

/// <summary>
/// Runs a pipeline's stages in dependency order inside its run directory. Each stage's key hashes its
/// resolved definition, its dataset's fingerprint, the format version and its inputs' keys: a stage
/// completed under the same key is skipped, one started under it is resumed from its checkpoint, any
/// other starts afresh. A failed stage blocks only the stages that read from it.
/// </summary>
public sealed class PipelineRunner(IEnumerable<IStageExecutor> executors, IStageLauncher? launcher = null) : IPipelineRunner
{
    /// <summary>Bumped when stage outputs change meaning, so old results are never reused. Code that computes other
    /// bits bumps its own revision instead (Distill.Pipelines.CodeRevisions), which re-keys only the stages that use it.</summary>
    // 4: convolutions on channels-last strides give other bits than 3, so no result or checkpoint of 3 is reused or resumed.
    // 5: keys and randomness by content (no stage ids, inputs by their keys), so results of 4 are neither reused nor resumed.
    public const int FormatVersion = 5;

    public const string PipelineCopyName = "pipeline.yaml";

    private readonly Dictionary<string, IStageExecutor> _executors = executors.ToDictionary(e => e.Spec.Name);

    public static PipelineDefinition Load(string path)
    {
        var result = PipelineLoader.Load(path, Kinds.StageKindRegistry.Catalogue);
        if (!result.Succeeded) throw new PipelineInvalidException(result.Errors.Select(e => e.ToString()).ToList());
        return result.Pipeline!;
    }

    public RunSummary Run(RunRequest request, IRunObserver observer, CancellationToken stop)
    {
        var pipeline = request.Loaded ?? Load(request.PipelinePath);
        if (request.Jobs > 1 && launcher is null) throw new InvalidOperationException("this runner runs one stage at a time (no launcher)");
        var missing = pipeline.Stages.Select(s => s.Kind).Distinct().Where(k => !_executors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new PipelineInvalidException([$"{request.PipelinePath}:1:1: stage kind(s) {string.Join(", ", missing)} are not available in this build"]);

        using var resolved = ResolvedRun.Open(request with { Loaded = pipeline }, RunUse.Run);
        var run = resolved.Directory;
        using var runLock = run.AcquireLock(observer.Info);
        AtomicFile.WriteAllText(Path.Combine(run.RootPath, PipelineCopyName), File.ReadAllText(request.PipelinePath));

        // Without a launcher, stages run here one at a time; with one, each runs where it puts it unless the store has it already.
        StageBackend backend = launcher is null
            ? (stage, token) => Task.FromResult(RunStage(resolved, stage, observer, token))
            : (stage, token) => Reuse(stage, resolved) is { } reused
                ? Task.FromResult(reused)
                : Task.Run(() => launcher.Run(resolved.Request with { Loaded = resolved.Pipeline }, stage.Id,
                    resolved.Identities.Of(stage), observer, token));
        var outcomes = DagRunner.Run(new DagSchedule(resolved.Pipeline.Stages), backend, request.Jobs, observer, stop);
        return new RunSummary(resolved.Pipeline.Name, run.RootPath, outcomes);
    }

    /// <summary>A stage completed in the store under its key: pointed to and reported up to date without starting a process; otherwise null.</summary>
    private StageOutcome? Reuse(StageDefinition stage, ResolvedRun resolved)
    {
        try
        {
            return PointToStored(stage, resolved.Identities.Of(stage), resolved.Directory) is { } reason
                ? new StageOutcome(stage.Id, stage.Kind, StageRunStatus.UpToDate, reason, TimeSpan.Zero)
                : null;
        }
        catch (Exception e) when (StageFailure.IsStageFailure(e))
        {
            return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Failed, StageFailure.Reason(e), TimeSpan.Zero);
        }
    }

    /// <summary>When the store holds <paramref name="current"/> completed (by the rule <see cref="Run"/> reuses by), points the run's stage to it and says why; otherwise null.</summary>
    private string? PointToStored(StageDefinition stage, StagePointer current, RunDirectory run)
    {
        var previous = run.ReadPointer(stage.Id);
        var decision = StageState.Inspect(run.Store.Entry(current.Key), current.Key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
        if (decision.Action != StageAction.Skip) return null;
        run.WritePointer(stage.Id, current);
        return decision.Reason;
    }

    /// <summary>
    /// Runs one stage of the pipeline in this process, for a parallel run that started the process and holds the run's
    /// lock. The stages it reads from must have completed; otherwise it is reported blocked.
    /// </summary>
    public StageOutcome RunOneStage(RunRequest request, string stageId, StagePointer? identity, IRunObserver observer, CancellationToken stop)
    {
        using var resolved = ResolvedRun.Open(request, RunUse.Stage);
        var (target, identities, run) = (resolved.Stage(stageId), resolved.Identities, resolved.Directory);
        // Resolved by the process that started this one: its key and its inputs' keys are taken as given, once the
        // definition read here is shown to be the one the key was made of (the file may have been edited since).
        if (identity is not null)
        {
            if (!identities.Matches(target, identity))
                return new StageOutcome(stageId, target.Kind, StageRunStatus.Failed,
                    $"{request.PipelinePath} changed since the run resolved stage '{stageId}'; run the pipeline again", TimeSpan.Zero);
            identities.Known(target, identity);
        }
        var inputKeys = identities.Of(target).InputKeys;
        var missing = target.Dependencies.FirstOrDefault(d => run.Store.Entry(inputKeys[d]).ReadManifest() is not { Status: StageStatus.Completed });
        if (missing is not null)
            return new StageOutcome(stageId, target.Kind, StageRunStatus.Blocked, $"input stage '{missing}' has not completed", TimeSpan.Zero);
        return RunStage(resolved, target, observer, stop);
    }

    /// <summary>
    /// The identity of one stage of the pipeline as this process would run it (its key, definition and inputs' keys),
    /// for a process that hands the stage to another (a cluster worker starting a stage process).
    /// </summary>
    public static StagePointer Resolve(RunRequest request, string stageId)
    {
        using var resolved = ResolvedRun.Open(request, RunUse.Identify);
        return resolved.Identities.Of(resolved.Stage(stageId));
    }

    /// <summary>What changed since the stage's previous key, for the reason line (null when the key is the same or never ran).</summary>
    private static string? ChangeSince(StagePointer? previous, StagePointer current) =>
        previous is null || string.Equals(previous.Key, current.Key, StringComparison.OrdinalIgnoreCase) ? null : previous.DescribeChangeTo(current);

    /// <summary>
    /// Every stage's identity as a job of its own runs it, under the compute <paramref name="computeOf"/> gives that job
    /// (the pipeline with the stage's device and thread count, which are part of its key), and whether the store holds
    /// it completed already (reused by the same rule as <see cref="Run"/>), for a scheduler that submits the stages as
    /// batch jobs. Datasets are opened (downloaded if need be) here, so the jobs find them on the shared root.
    /// </summary>
    public IReadOnlyList<ResolvedStage> ResolveForJobs(PipelineDefinition pipeline, string runsRoot, Func<StageDefinition, PipelineDefinition> computeOf)
    {
        using var resolved = ResolvedRun.Open(new RunRequest(pipeline.SourcePath, runsRoot, pipeline), RunUse.Identify, computeOf);
        return pipeline.Stages.Select(stage =>
        {
            var identity = resolved.Identities.Of(stage);
            return new ResolvedStage(stage, identity, PointToStored(stage, identity, resolved.Directory) is not null);
        }).ToList();
    }

    /// <summary>
    /// What <see cref="Run"/> would do with each stage now, deciding by the same keys and rule but touching nothing:
    /// reuse (from this run or from the store), resume from a checkpoint, or run fresh, with the reason, whether another
    /// process is computing that key right now, and an estimate of the time from stored durations of similar stages.
    /// A stage downstream of one that fails is blocked at run time; a plan cannot know that in advance.
    /// </summary>
    public IReadOnlyList<StagePlan> Plan(RunRequest request)
    {
        using var resolved = ResolvedRun.Open(request, RunUse.Plan);
        var (pipeline, device, run, identities) = (resolved.Pipeline, resolved.Device, resolved.Directory, resolved.Identities);
        // Definitions by key, this plan's and the store's: a live teacher's cost comes from its stage's model.
        var planned = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        JsonElement? DefinitionOf(string key) => planned.TryGetValue(key, out var d) ? d : StoredDefinition(run.Store, key);
        var estimator = new DurationEstimator(run.Store, new StageWork(pipeline.Catalogue, DefinitionOf));
        var plan = new List<StagePlan>();
        foreach (var stage in pipeline.Stages)
        {
            var current = identities.Of(stage);
            planned[current.Key] = current.Definition;
            var previous = run.ReadPointer(stage.Id);
            var decision = current.DatasetFingerprint.Contains(PipelineDataset.NotDownloadedYet, StringComparison.Ordinal)
                ? new StageDecision(StageAction.Fresh, $"never run: dataset '{stage.Dataset}' is downloaded by the first run", null, null)
                : StageState.Inspect(run.Store.Entry(current.Key), current.Key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
            var computing = run.Store.IsBeingComputed(current.Key, out var holder) ? holder?.ToString() ?? "another process" : null;
            plan.Add(new StagePlan(stage.Id, stage.Kind, decision.Action, WithKernelPath(decision, device),
                estimator.Estimate(stage.Kind, current.Definition, decision), computing));
        }
        return plan;
    }

    /// <summary>The decision's reason, saying so when the result it reuses or resumes was computed on another kernel path.</summary>
    private static string WithKernelPath(StageDecision decision, TorchSharp.torch.Device device) =>
        decision.Action != StageAction.Fresh && decision.Previous?.KernelPathOtherThan(KernelPath.For(device)) is { } other
            ? $"{decision.Reason} (computed on {other}; this machine: {KernelPath.For(device)})"
            : decision.Reason;

    private static JsonElement? StoredDefinition(StageStore store, string key)
    {
        try
        {
            return store.Entry(key).ReadDefinition() is { } text ? JsonDocument.Parse(text).RootElement.Clone() : null;
        }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    /// <summary>Logit caches are read by many students: their files are re-hashed on every run, so a damaged cache is rebuilt, never used.</summary>
    private bool VerifiesOutputs(StageDefinition stage) => _executors.TryGetValue(stage.Kind, out var executor) && executor.VerifiesOutputsOnEveryRun;

    private StageOutcome RunStage(ResolvedRun resolved, StageDefinition stage, IRunObserver observer, CancellationToken stop)
    {
        var (pipeline, run, data, device, identities) = (resolved.Pipeline, resolved.Directory, resolved.Data, resolved.Device, resolved.Identities);
        var clock = Stopwatch.StartNew();
        StageDirectory? directory = null;
        StageManifest? manifest = null;
        try
        {
            var current = identities.Of(stage);
            var key = current.Key;
            var previous = run.ReadPointer(stage.Id);

            // One process computes a key at a time; a second run reaching it waits, then finds it completed.
            using var keyLock = run.Store.LockKey(key,
                holder => observer.Info($"{stage.Id}: waiting for key {StageKey.Short(key)}, which {holder?.ToString() ?? "another process"} is computing"), stop);
            if (keyLock is null)
                return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Cancelled, "stopped while waiting for another run computing the same key", clock.Elapsed);
            directory = run.Store.Entry(key);

            // Transient I/O faults are retried at each file operation (TransientIo), never by re-entering the stage.
            var decision = StageState.Prepare(directory, key, VerifiesOutputs(stage), previous?.Key, ChangeSince(previous, current));
            run.WritePointer(stage.Id, current);
            if (decision.Action == StageAction.Skip)
                return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.UpToDate, WithKernelPath(decision, device), clock.Elapsed);

            observer.StageStarting(stage.Id, stage.Kind, decision.Action, WithKernelPath(decision, device));
            directory.WriteDefinition(current.Definition.GetRawText());
            manifest = (decision.Action == StageAction.Resume ? decision.Previous! : StageManifest.Pending(stage.Id, stage.Kind, key,
                stage.Dependencies.Select(d => new StageInput(d, current.InputKeys[d])), pipeline.Name, current.SeedKey))
                .StartAttempt(DateTimeOffset.UtcNow, KernelPath.For(device));
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
        }
        catch (Exception e) when (StageFailure.IsStageFailure(e))
        {
            var reason = StageFailure.Reason(e);
            if (manifest is not null) directory!.WriteManifest(manifest.Fail(DateTimeOffset.UtcNow, reason));
            return new StageOutcome(stage.Id, stage.Kind, StageRunStatus.Failed, reason, clock.Elapsed);
        }
    }
}

/// <summary>A stage with its identity as its job will run it, and whether the store holds it completed.</summary>
public sealed record ResolvedStage(StageDefinition Stage, StagePointer Identity, bool Stored);
