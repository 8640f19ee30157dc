using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Randomness;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>Where a training run stands: the next step to take is (Epoch, Step).</summary>
public sealed record TrainingPosition(int Epoch, int Step);

/// <summary>One optimisation step's outcome, for progress displays.</summary>
public sealed record StepReport(int Epoch, int Step, int StepsPerEpoch, double Loss, double LearningRate);

/// <summary>How a call to <see cref="Trainer.Run"/> ended.</summary>
public enum TrainingOutcome
{
    Completed,
    Stopped,
}

/// <summary>
/// Mini-batch SGD over a prepared training split. Data order and augmentation are pure functions of
/// (seed, epoch, position), the learning rate of (epoch, step), so a run restored from a checkpoint
/// takes exactly the steps an uninterrupted run takes. Every step runs inside a dispose scope, and steps are followed by
/// collections of the native objects TorchSharp frees only from finalizers (see <see cref="FinalizerOnlyNatives"/>).
/// The options' precision is set on the model; in bfloat16 the trainer also makes sure, before its first step,
/// that the convolution self-check has passed the model's bfloat16 kernels (free when the caller checked them).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ClassifierNet _model;
    private readonly ITrainingBatches _trainBatches;
    private readonly TrainerOptions _options;
    private readonly ITrainingObjective _objective;
    private readonly SGD _optimizer;
    private readonly DistillationOrientedOptimizer? _dot;
    private readonly LearningRateSchedule _schedule;

    public Trainer(ClassifierNet model, ITrainingBatches trainBatches, TrainerOptions options, ITrainingObjective objective)
    {
        _model = model;
        _trainBatches = trainBatches;
        _options = options;
        _objective = objective;
        model.Precision = options.Precision; // throws CpuFeatureMissingException where the CPU lacks it
        // A connector (FitNet's regressor) trains with the model, its parameters after the model's.
        var parameters = model.parameters().Concat(objective.Connector?.parameters() ?? []);
        _optimizer = new SGD(parameters, options.LearningRate, options.Momentum, options.WeightDecay, options.Nesterov && options.Momentum > 0);
        if (options.DotDelta is { } delta)
            _dot = new DistillationOrientedOptimizer(parameters, options.Momentum - delta, options.Momentum + delta, options.WeightDecay);
        StepsPerEpoch = (trainBatches.Count + options.BatchSize - 1) / options.BatchSize;
        _schedule = options.CreateSchedule(StepsPerEpoch);
    }

    public int StepsPerEpoch { get; }

    public TrainingPosition Position { get; private set; } = new(0, 0);

    public bool IsFinished => Position.Epoch >= _options.Epochs;

    /// <summary>Mean training loss of the epoch that ended last (kept across checkpoints, so a resumed epoch reports the same mean).</summary>
    public double LastEpochMeanLoss { get; private set; } = double.NaN;

    private double _epochLossSum;
    private int _epochLossCount;

    /// <summary>Called after each step (the loss is the value the objective returned).</summary>
    public Action<StepReport>? StepCompleted { get; set; }

    /// <summary>Called at each epoch end (after the position moved to the next epoch), e.g. to evaluate and checkpoint.</summary>
    public Action<int>? EpochCompleted { get; set; }

    /// <summary>Asked after each step whether to checkpoint now (time-based checkpoints within long epochs).</summary>
    public Func<bool>? CheckpointDue { get; set; }

    /// <summary>Called when a checkpoint should be written (see <see cref="SaveCheckpoint"/>).</summary>
    public Action? CheckpointRequested { get; set; }

    /// <summary>Lines about kernels the trainer's own self-check moved (bfloat16 only; see the class summary).</summary>
    public Action<string>? KernelWarning { get; set; }

    private bool _kernelsVerified;
    private readonly FinalizerOnlyNatives _finalizerOnlyNatives = new();

    /// <summary>Trains until the last epoch ends or the token asks to stop (after finishing the current step).</summary>
    public TrainingOutcome Run(CancellationToken stop)
    {
        _model.train();
        while (!IsFinished)
        {
            var order = DeterministicRandom.Permutation(_trainBatches.Count, _options.Seed, DeterministicRandom.HashText("order"), Position.Epoch);
            while (Position.Step < StepsPerEpoch)
            {
                if (stop.IsCancellationRequested)
                    return TrainingOutcome.Stopped;
                int start = Position.Step * _options.BatchSize;
                var indices = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start));
                double loss = TakeStep(indices, Position.Epoch, Position.Step);
                _finalizerOnlyNatives.ReleaseIfDue();
                _epochLossSum += loss;
                _epochLossCount++;
                StepCompleted?.Invoke(new StepReport(Position.Epoch, Position.Step, StepsPerEpoch, loss, _schedule.At(Position.Epoch, Position.Step)));
                Position = Position with { Step = Position.Step + 1 };
                if (CheckpointDue?.Invoke() == true && Position.Step < StepsPerEpoch)
                    CheckpointRequested?.Invoke();
            }
            int finished = Position.Epoch;
            LastEpochMeanLoss = _epochLossSum / Math.Max(1, _epochLossCount);
            (_epochLossSum, _epochLossCount) = (0, 0);
            Position = new TrainingPosition(finished + 1, 0);
            EpochCompleted?.Invoke(finished);
            _model.train();
        }
        return TrainingOutcome.Completed;
    }

    private double TakeStep(ReadOnlySpan<long> indices, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = _schedule.At(epoch, step);
        var batch = _trainBatches.Make(indices, epoch);
        if (!_kernelsVerified)
        {
            if (_options.Precision != Precision.Fp32)
                ConvolutionSelfCheck.VerifyModel(_model, batch.Inputs.shape[1], batch.Inputs.shape[2], batch.Inputs.shape[3], KernelWarning);
            _kernelsVerified = true;
        }
        if (_dot is not null) return TakeDistillationOrientedStep(_dot, batch, epoch, step);
        _optimizer.zero_grad();
        var loss = _objective.Loss(_model.Forward(batch.Inputs, _objective.ModelPoints), batch);
        double value = loss.item<float>();
        if (!double.IsFinite(value))
            throw Diverged($"loss became {value}", batch, epoch, step);
        loss.backward();
        // The fused kernels' returned gradients: LibTorch holds its own copies once backward has returned.
        AutogradNodeMemory.FreeHandedOver();
        if (!GradientsFinite())
            throw Diverged("gradients became non-finite", batch, epoch, step);
        if (_options.ClipGradNorm > 0)
            nn.utils.clip_grad_norm_(_model.parameters(), _options.ClipGradNorm);
        _optimizer.step();
        return value;
    }

    /// <summary>
    /// DOT's step, as mdistiller's trainer takes it: the distillation part's backward pass (the graph kept), its gradients
    /// set aside, the task part's backward pass, then the two momenta (<see cref="DistillationOrientedOptimizer"/>).
    /// Differentiating one graph twice rules out the fused batch norm (its backward frees what it read): LibTorch's runs;
    /// Distill's own convolutions keep what they saved until the graph dies (<see cref="AutogradNodeMemory.RetainGraphs"/>).
    /// </summary>
    private double TakeDistillationOrientedStep(DistillationOrientedOptimizer dot, TrainingBatch batch, int epoch, int step)
    {
        bool fused = BatchNormRelu.Enabled;
        BatchNormRelu.Enabled = false;
        using var retained = AutogradNodeMemory.RetainGraphs();
        try
        {
            dot.ClearGradients();
            var parts = _objective.Parts(_model.Forward(batch.Inputs, _objective.ModelPoints), batch)
                ?? throw new InvalidOperationException("DOT needs an objective with a distillation part");
            double value = parts.Task.item<float>() + parts.Distillation.item<float>();
            if (!double.IsFinite(value))
                throw Diverged($"loss became {value}", batch, epoch, step);
            parts.Distillation.backward(retain_graph: true);
            var distillation = dot.TakeGradients();
            parts.Task.backward();
            if (!GradientsFinite() || !Finite(distillation))
                throw Diverged("gradients became non-finite", batch, epoch, step);
            dot.Step(distillation, _schedule.At(epoch, step));
            return value;
        }
        finally { BatchNormRelu.Enabled = fused; }
    }

    private bool GradientsFinite() => Finite(_model.parameters().Select(p => p.grad));

    private static bool Finite(IEnumerable<Tensor?> gradients)
    {
        // One sum per gradient: NaN or infinity anywhere makes the total non-finite.
        var sums = gradients.OfType<Tensor>().Select(g => g.sum()).ToList();
        if (sums.Count == 0) return true;
        using var total = stack(sums).sum();
        return double.IsFinite(total.item<float>());
    }

    /// <summary>Names the module where the step first went non-finite, by re-running the batch (weights are not yet updated).</summary>
    private TrainingDivergedException Diverged(string what, TrainingBatch batch, int epoch, int step)
    {
        string? where = NonFiniteLocator.Locate(_model, () => _objective.Loss(_model.Forward(batch.Inputs, _objective.ModelPoints), batch));
        string origin = where is null ? "" : $"; first non-finite value: {where}";
        return new TrainingDivergedException(
            $"{what} at epoch {epoch + 1}, step {step + 1}{origin}; lower the learning rate or enable gradient clipping" +
            (where?.Contains("Conv", StringComparison.Ordinal) == true ? " (a convolution first: see docs/platform-defects.md)" : ""));
    }

    /// <summary>Model weights, the objective's connector if it has one, optimizer state (momentum buffers) and position in one stream.</summary>
    public void SaveCheckpoint(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(CheckpointMagic(_options.Precision));
        writer.Write(Position.Epoch);
        writer.Write(Position.Step);
        writer.Write(_epochLossSum);
        writer.Write(_epochLossCount);
        writer.Write(LastEpochMeanLoss);
        _model.save(writer);
        _objective.Connector?.save(writer);
        _optimizer.save_state_dict(writer);
        _dot?.Save(writer);
        writer.Flush();
    }

    public void LoadCheckpoint(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        string magic = reader.ReadString();
        if (magic != CheckpointMagic(_options.Precision))
        {
            var writtenBy = Enum.GetValues<Precision>().Where(p => CheckpointMagic(p) == magic).Cast<Precision?>().FirstOrDefault();
            throw new InvalidDataException(writtenBy is { } other
                ? $"the checkpoint was written by a {other.Name()} run and cannot resume a {_options.Precision.Name()} run"
                : "not a Distill training checkpoint");
        }
        int epoch = reader.ReadInt32();
        int step = reader.ReadInt32();
        _epochLossSum = reader.ReadDouble();
        _epochLossCount = reader.ReadInt32();
        LastEpochMeanLoss = reader.ReadDouble();
        _model.load(reader);
        _objective.Connector?.load(reader);
        _optimizer.load_state_dict(reader);
        _dot?.Load(reader);
        Position = new TrainingPosition(epoch, step);
    }

    /// <summary>Float32 checkpoints are those of earlier versions; other precisions are marked, so none resumes another.</summary>
    private static string CheckpointMagic(Precision precision) =>
        precision == Precision.Fp32 ? "distill-checkpoint-v2" : $"distill-checkpoint-v2-{precision.Name()}";

    public void Dispose()
    {
        _optimizer.Dispose();
        _dot?.Dispose();
    }
}

/// <summary>The loss stopped being a finite number: a deterministic failure, not worth retrying.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
