using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;

namespace Distill.Stages.Engine;

/// <summary>What a run is resolved for: how much of the machine and the run directory it takes.</summary>
public enum RunUse
{
    /// <summary>Runs stages here: sets the thread count, checks the data, opens the run directory and uses the store.</summary>
    Run,

    /// <summary>Runs one stage for a run that holds the lock elsewhere (a stage process): as <see cref="Run"/>, without the data check.</summary>
    Stage,

    /// <summary>Decides and identifies, touching nothing: the run directory is only located, no dataset is downloaded.</summary>
    Plan,

    /// <summary>Identifies stages for jobs that run elsewhere: opens the run directory and the datasets (downloading them
    /// if need be, so the jobs find them on the shared root) but starts nothing.</summary>
    Identify,
}

/// <summary>
/// A pipeline resolved once for every command and engine: loaded, its compute resolved to this process's (device
/// and thread count, part of every key), its data catalogued, its run directory found and its stages' identities
/// ready. Each engine entry point of <see cref="PipelineRunner"/> starts from one.
/// </summary>
public sealed class ResolvedRun : IDisposable
{
    private readonly IDisposable? _storeUse;

    private ResolvedRun(RunRequest request, PipelineDefinition pipeline, TorchSharp.torch.Device device, RunDirectory directory,
        DataCatalog data, StageIdentities identities, IDisposable? storeUse)
    {
        (Request, Pipeline, Device, Directory, Data, Identities, _storeUse) = (request, pipeline, device, directory, data, identities, storeUse);
    }

    /// <summary>The request, with the pipeline loaded into it and its thread count shared among its jobs.</summary>
    public RunRequest Request { get; }

    /// <summary>The pipeline with `device: auto` and `threads: 0` resolved to what this process uses.</summary>
    public PipelineDefinition Pipeline { get; }

    public TorchSharp.torch.Device Device { get; }

    public RunDirectory Directory { get; }

    public DataCatalog Data { get; }

    public StageIdentities Identities { get; }

    /// <param name="computeOf">For <see cref="RunUse.Identify"/>: the pipeline as each stage's own job runs it.</param>
    public static ResolvedRun Open(RunRequest request, RunUse use, Func<StageDefinition, PipelineDefinition>? computeOf = null)
    {
        var loaded = request.Loaded ?? PipelineRunner.Load(request.PipelinePath);
        request = CoreShare.For(request with { Loaded = loaded }, loaded);
        // Stages that each run under their own job's compute are identified under it; this process need not have its device.
        var (pipeline, device) = computeOf is null ? ResolveCompute(loaded, request) : (loaded, TorchSharp.torch.CPU);
        if (use is RunUse.Run or RunUse.Plan && DataPreflight.Problems(pipeline) is { Count: > 0 } missingData)
            throw new PipelineInvalidException(missingData);
        if (use is RunUse.Run or RunUse.Stage) TorchRuntime.SetThreads(pipeline.Threads);
        var directory = use == RunUse.Plan
            ? RunDirectory.Locate(request.RunsRoot, pipeline.Name)
            : RunDirectory.Open(request.RunsRoot, pipeline.Name);
        var storeUse = use is RunUse.Run or RunUse.Stage ? directory.Store.Use() : null;
        var data = new DataCatalog(pipeline, planning: use == RunUse.Plan);
        var identities = new StageIdentities(pipeline, data, request.RunsRoot, computeOf);
        return new ResolvedRun(request, pipeline, device, directory, data, identities, storeUse);
    }

    /// <summary>The pipeline's stage <paramref name="stageId"/>, or the error a user sees.</summary>
    public StageDefinition Stage(string stageId) =>
        Pipeline.Stages.FirstOrDefault(s => s.Id == stageId)
            ?? throw new PipelineInvalidException([$"{Request.PipelinePath}:1:1: no stage '{stageId}'"]);

    /// <summary>
    /// The pipeline with `device: auto` and `threads: 0` replaced by what this process uses, since results depend on
    /// both and stage keys must say so.
    /// </summary>
    private static (PipelineDefinition, TorchSharp.torch.Device) ResolveCompute(PipelineDefinition pipeline, RunRequest request)
    {
        TorchSharp.torch.Device device;
        try { device = TorchRuntime.ResolveDevice(request.Device ?? pipeline.Device); }
        catch (InvalidOperationException e) { throw new PipelineInvalidException([$"{request.PipelinePath}:1:1: device: {e.Message}"]); }
        var resolved = pipeline with
        {
            Device = device.type == TorchSharp.DeviceType.CUDA ? "cuda" : "cpu",
            Threads = TorchRuntime.EffectiveThreads(request.Threads ?? pipeline.Threads),
        };
        return (resolved, device);
    }

    public void Dispose()
    {
        Data.Dispose();
        _storeUse?.Dispose();
    }
}
