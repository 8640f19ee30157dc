using Distill.Learning.Models;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Models;
using Distill.Stages.Training;
using TorchSharp;

namespace Distill.Stages.Distillation;

/// <summary>Rebuilds a completed `train` stage's model from its saved weights.</summary>
public static class TeacherModel
{
    public static ClassifierNet Load(StageContext context, StageInputRef teacher, PipelineDataset dataset)
    {
        var spec = ModelSpec.Of(context.Pipeline, teacher.Definition.Model!);
        var data = dataset.Prepared;
        var model = spec.Create(data.Train.Channels, data.Train.Height, data.Train.Width, data.ClassNames.Count);
        if (model is TorchScriptNet script) script.Load(WeightsPath(teacher));
        else ModelWeights.Load(model, WeightsPath(teacher));
        if (context.Device.type != TorchSharp.DeviceType.CPU) model.to(context.Device);
        model.eval();
        TrainingRun.VerifyKernels(model, data, message => context.Observer.Info($"{context.Stage.Id}: {message}"));
        return model;
    }

    /// <summary>The file Distill reads the teacher from: its weights.bin, or an imported TorchScript network's model.ts.</summary>
    public static string WeightsPath(StageInputRef teacher) => teacher.Directory.OutputPath(WeightsFile(teacher));

    private static string WeightsFile(StageInputRef teacher) =>
        teacher.Manifest.Outputs.Any(o => o.Path == Outputs.TorchScript) ? Outputs.TorchScript : Outputs.Weights;

    /// <summary>The weights' hash as the teacher's manifest recorded it (computed if missing).</summary>
    public static string WeightsSha256(StageInputRef teacher) =>
        teacher.Manifest.Outputs.FirstOrDefault(o => o.Path == WeightsFile(teacher))?.Sha256 ?? FileHash.Sha256Hex(WeightsPath(teacher));
}
