using Distill.Analysis.Calibration;
using System.Diagnostics;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Stages.Training;

/// <summary>
/// One model trained on prepared data: the trainer plus an evaluation of validation and test splits
/// at each epoch end, gathered into per-epoch metrics. Extra per-epoch probes (mutual information)
/// plug in through <see cref="EpochProbes"/>.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly PreparedData _data;
    private readonly TrainerOptions _options;
    private readonly Device _device;
    private readonly Stopwatch _epochClock = Stopwatch.StartNew();

    /// <param name="batches">Training batches; by default a fresh augmentation per epoch.</param>
    public TrainingRun(ClassifierNet model, PreparedData data, TrainerOptions options, ITrainingObjective objective, Device device,
        ITrainingBatches? batches = null)
    {
        Model = model;
        _data = data;
        _options = options;
        _device = device;
        batches ??= new AugmentedBatches(new BatchMaker(data.Train, data.Statistics, device), options.Augmentation, options.Seed);
        Trainer = new Trainer(model, batches, options, objective);
        Trainer.EpochCompleted = OnEpochCompleted;
    }

    /// <summary>
    /// Builds the model a spec names for the data's image shape, initialised from the seed, and checks
    /// its convolutions on this machine's kernels before any training (see <see cref="VerifyKernels"/>).
    /// </summary>
    public static ClassifierNet CreateModel(ModelSpec spec, PreparedData data, long seed, Device device, Action<string> log)
    {
        TorchRuntime.Seed(seed);
        var model = spec.Create(data.Train.Channels, data.Train.Height, data.Train.Width, data.ClassNames.Count);
        if (device.type != DeviceType.CPU) model.to(device);
        VerifyKernels(model, data, log);
        return model;
    }

    /// <summary>
    /// Compares every convolution shape of the model with float64 on the kernel that will run it; logs one
    /// summary line when it checked a shape not checked before in this process (and a line per shape moved off oneDNN). Throws <see cref="PlatformDefectException"/>
    /// when a shape is wrong on every kernel. Logs the fused batch norm + ReLU and local response norm self-checks' lines the first time in a process.
    /// Uses its own random generators: the model's seed stream is untouched.
    /// </summary>
    public static void VerifyKernels(ClassifierNet model, PreparedData data, Action<string> log)
    {
        if (model is TorchScriptNet) return; // LibTorch runs it as it is: none of Distill's routed kernels are in it

        var report = ConvolutionSelfCheck.VerifyModel(model, data.Train.Channels, data.Train.Height, data.Train.Width, log);
        if (report.NewlyChecked > 0) log(report.Summary);
        // The fused batch norm + ReLU kernels check themselves before first use; a CPU model with batch norm says how that went, once per process.
        bool onCpu = model.parameters().FirstOrDefault() is not { } p || p.device_type == DeviceType.CPU;
        if (!onCpu) return;
        // So does the fused local response norm, for a model that has one (the paper's AlexNet).
        if (model.modules().Any(m => m is RoutedLocalResponseNorm) && !LocalResponseNormSelfCheck.HasRun)
            log(LocalResponseNormSelfCheck.Report.Summary);
        if (!model.modules().Any(m => m is TorchSharp.Modules.BatchNorm2d)) return;
        if (!BatchNormReluSelfCheck.HasRun) log(BatchNormReluSelfCheck.Report.Summary);
        if (model.Precision == Precision.Bf16 && !BatchNormReluSelfCheck.HasRunBf16 && BatchNormReluSelfCheck.ReportBf16 is { } bf16)
            log(bf16.Summary);
    }

    public ClassifierNet Model { get; }
    public Trainer Trainer { get; }

    /// <summary>Metrics of every epoch that ended, in order (a resumed run starts from the stored ones).</summary>
    public List<EpochMetrics> History { get; } = [];

    /// <summary>Extra figures computed at each epoch end (after evaluation), merged into the epoch's metrics.</summary>
    public List<Func<int, IReadOnlyDictionary<string, double>>> EpochProbes { get; } = [];

    /// <summary>Raised once an epoch's metrics are complete.</summary>
    public event Action<EpochMetrics>? EpochEvaluated;

    public TrainingOutcome Run(CancellationToken stop)
    {
        _epochClock.Restart();
        return Trainer.Run(stop);
    }

    public Evaluation Evaluate(DataSplit split) =>
        Evaluator.Evaluate(Model, new BatchMaker(_data.Get(split), _data.Statistics, _device), _options.EvalBatchSize);

    private void OnEpochCompleted(int epoch)
    {
        var values = new Dictionary<string, double>
        {
            [MetricNames.LearningRate] = _options.CreateSchedule(Trainer.StepsPerEpoch).At(epoch, 0),
            [MetricNames.TrainLoss] = Trainer.LastEpochMeanLoss,
        };
        bool evaluated = (epoch + 1) % _options.EvaluateEvery == 0 || epoch + 1 == _options.Epochs;
        foreach (var (name, split) in new[] { ("validation", DataSplit.Validation), ("test", DataSplit.Test) })
        {
            if (!evaluated || _data.Get(split).Count == 0) continue;
            var evaluation = Evaluate(split);
            values[MetricNames.SplitAccuracy(name)] = evaluation.Accuracy;
            values[MetricNames.SplitNll(name)] = evaluation.Nll;
            values[MetricNames.SplitEce(name)] = CalibrationMetrics.ExpectedCalibrationError(evaluation.Confidences, evaluation.Correct);
        }
        foreach (var probe in EpochProbes)
            foreach (var (name, value) in probe(epoch))
                values[name] = value;
        values[MetricNames.Seconds] = _epochClock.Elapsed.TotalSeconds;
        _epochClock.Restart();
        var metrics = new EpochMetrics(epoch + 1, values);
        History.Add(metrics);
        EpochEvaluated?.Invoke(metrics);
    }

    public void Dispose() => Trainer.Dispose();
}
