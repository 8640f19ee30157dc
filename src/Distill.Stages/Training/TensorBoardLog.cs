using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Engine;
using TorchSharp.Modules;

namespace Distill.Stages.Training;

/// <summary>
/// Writes a training stage's curves as TensorBoard event files under &lt;stage&gt;/tensorboard/:
/// `train/loss` and `train/lr` every few steps, every per-epoch metric as `epoch/&lt;name&gt;`.
/// View with `tensorboard --logdir runs/&lt;pipeline&gt;/stages`.
/// </summary>
public sealed class TensorBoardLog : IDisposable
{
    private const int StepInterval = 10;
    private readonly SummaryWriter _writer;

    public TensorBoardLog(string directory) =>
        _writer = TorchSharp.torch.utils.tensorboard.SummaryWriter(directory, createRunName: false);

    public void Step(StepReport report, int stepsPerEpoch)
    {
        int global = report.Epoch * stepsPerEpoch + report.Step;
        if (global % StepInterval != 0) return;
        _writer.add_scalar("train/loss", (float)report.Loss, global);
        _writer.add_scalar("train/lr", (float)report.LearningRate, global);
    }

    public void Epoch(EpochMetrics metrics)
    {
        foreach (var (name, value) in metrics.Values)
            if (double.IsFinite(value)) _writer.add_scalar($"epoch/{name}", (float)value, metrics.Epoch);
    }

    public void Dispose() => (_writer as IDisposable)?.Dispose();
}
