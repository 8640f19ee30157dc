using Distill.Learning.Export;
using Distill.Stages.Kinds.Shared;
using System.Diagnostics;
using System.Text.Json;
using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Stages.Training;

/// <summary>
/// Runs a <see cref="TrainingRun"/> as a resumable stage: restores the latest checkpoint, writes one
/// at every epoch end, every few minutes within an epoch and when asked to stop, records each epoch in
/// the manifest, and on completion writes the weights and metrics. Shared by `train` and `distill`.
/// </summary>
public static class TrainingStageDriver
{
    private const string HistoryKey = "history";
    private const int CheckpointsKept = 2;

    /// <param name="beforeFirstStep">
    /// Work a fresh run does before its first step (FT's paraphraser), followed by a checkpoint that holds its result, so a
    /// resumed run never repeats it; returns false when the stage was asked to stop first (then nothing is kept).
    /// </param>
    public static StageResult Run(StageContext context, TrainingRun run, TrainingParameters training, bool tensorBoardEvents = true,
        Func<CancellationToken, bool>? beforeFirstStep = null)
    {
        var stage = context.Directory;
        var checkpoint = context.Decision is { Action: StageAction.Resume, Checkpoint: { } resumeFrom } ? resumeFrom : null;
        if (checkpoint is not null)
        {
            using (var payload = CheckpointStore.OpenPayload(checkpoint))
                run.Trainer.LoadCheckpoint(payload);
            // Epoch metrics travel inside the checkpoint, so they match the weights it holds.
            if (checkpoint.Info.State.TryGetValue(HistoryKey, out var json))
                run.History.AddRange(JsonSerializer.Deserialize<List<EpochMetrics>>(json, RunJson.Options) ?? []);
            context.Observer.Info($"{context.Stage.Id}: resumed at epoch {run.Trainer.Position.Epoch + 1}, step {run.Trainer.Position.Step}");
        }

        var interval = TimeSpan.FromMinutes(training.CheckpointMinutes);
        int epochs = training.Epochs;
        var sinceCheckpoint = Stopwatch.StartNew();
        void Checkpoint(string reason)
        {
            var position = run.Trainer.Position;
            stage.Checkpoints.Write(position.Epoch, (long)position.Epoch * run.Trainer.StepsPerEpoch + position.Step,
                run.Trainer.SaveCheckpoint,
                new Dictionary<string, string> { [HistoryKey] = JsonSerializer.Serialize(run.History, RunJson.Options) },
                reason, keepLast: CheckpointsKept);
            sinceCheckpoint.Restart();
        }

        if (checkpoint is null && beforeFirstStep is not null)
        {
            if (!beforeFirstStep(context.Stop)) return StageResult.Stopped;
            Checkpoint("before the first step");
        }

        using var tensorBoard = tensorBoardEvents ? new TensorBoardLog(context.Directory.TensorBoardPath) : null;
        run.Trainer.StepCompleted = report =>
        {
            context.Observer.Step(context.Stage.Id, report);
            tensorBoard?.Step(report, run.Trainer.StepsPerEpoch);
        };
        run.Trainer.CheckpointDue = () => sinceCheckpoint.Elapsed >= interval;
        run.Trainer.CheckpointRequested = () => Checkpoint("periodic");
        run.EpochEvaluated += metrics =>
        {
            // Manifest and metrics first, checkpoint second: a kill in between repeats this epoch on
            // resume (recording it again with the same values) instead of losing its metrics.
            var position = run.Trainer.Position;
            context.RecordEpoch(new StageProgress(position.Epoch, (long)position.Epoch * run.Trainer.StepsPerEpoch), metrics);
            MetricsFiles.Write(stage, run.History);
            Checkpoint("epoch end");
            tensorBoard?.Epoch(metrics);
            context.Observer.EpochFinished(context.Stage.Id, metrics, epochs);
        };

        if (run.Run(context.Stop) == TrainingOutcome.Stopped)
        {
            Checkpoint("shutdown");
            return StageResult.Stopped;
        }

        var final = EpochSelection.Last(run.History);
        foreach (var (name, value) in EpochSelection.AtBestValidation(run.History)) final[name] = value;
        Outputs.WriteModel(context, context.Data.Get(context.Stage.Dataset!), run.Model, final);
        MetricsFiles.Write(stage, run.History);
        return new StageResult(true, final);
    }
}

/// <summary>Names of the files stages write under their outputs/ folder.</summary>
public static class Outputs
{
    /// <summary>TorchSharp's format: what Distill itself reads back.</summary>
    public const string Weights = "weights.bin";

    /// <summary>A PyTorch state_dict (torch.load), for PyTorch users with nothing else installed.</summary>
    public const string PyTorchWeights = "weights.pt";

    /// <summary>The same tensors as safetensors: no pickle, readable by the Hugging Face ecosystem and other languages.</summary>
    public const string SafetensorsWeights = "weights.safetensors";

    /// <summary>The model as ONNX, standardisation inside, for ONNX Runtime and every other ONNX consumer.</summary>
    public const string Onnx = "model.onnx";

    /// <summary>An imported TorchScript network, as the file it came from: Distill neither converts nor exports it.</summary>
    public const string TorchScript = "model.ts";

    /// <summary>The files <see cref="WriteModel"/> writes for <paramref name="model"/>, by format (model.json's `weights`).</summary>
    public static IReadOnlyDictionary<string, string> WeightFiles(Learning.Models.ClassifierNet model) =>
        model is Learning.Models.TorchScriptNet
            ? new Dictionary<string, string> { ["torchscript"] = TorchScript }
            : new Dictionary<string, string> { ["torchsharp"] = Weights, ["pytorch"] = PyTorchWeights, ["safetensors"] = SafetensorsWeights, ["onnx"] = Onnx };

    /// <summary>
    /// A trained or imported model: its weights in all three formats, as ONNX, and the <see cref="ModelCard"/> that
    /// describes them; a TorchScript network as its own file and the card.
    /// </summary>
    public static void WriteModel(StageContext context, Data.PipelineDataset dataset, Learning.Models.ClassifierNet model, IReadOnlyDictionary<string, double> metrics)
    {
        var card = ModelCard.Describe(context, dataset, metrics, WeightFiles(model));
        if (model is Learning.Models.TorchScriptNet script)
            AtomicFile.WriteStream(context.Directory.OutputPath(TorchScript), stream =>
            {
                using var source = File.OpenRead(script.Source!);
                source.CopyTo(stream);
            });
        else
        {
            WriteWeights(context.Directory, model);
            AtomicFile.WriteStream(context.Directory.OutputPath(Onnx), stream => OnnxModel.Write(model, card.ToOnnxInput(), card.OnnxMetadata(), stream));
        }
        card.Write(context.Directory);
    }

    private static void WriteWeights(StageDirectory stage, Learning.Models.ClassifierNet model)
    {
        AtomicFile.WriteStream(stage.OutputPath(Weights), stream => Learning.Models.ModelWeights.Save(model, stream));
        AtomicFile.WriteStream(stage.OutputPath(PyTorchWeights), stream => Learning.Models.ModelWeights.SavePyTorch(model, stream));
        AtomicFile.WriteStream(stage.OutputPath(SafetensorsWeights), stream => Learning.Models.ModelWeights.SaveSafetensors(model, stream));
    }
}
