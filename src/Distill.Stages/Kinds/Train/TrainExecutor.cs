using Distill.Learning.Data;
using TorchSharp;
using Distill.Learning.Models;
using Distill.Learning.Randomness;
using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Models;
using Distill.Stages.Training;

namespace Distill.Stages.Kinds.Train;

/// <summary>
/// `train`: a model trained with cross-entropy and label smoothing alpha, with an optional per-epoch MI probe; or, with
/// `weights:`, a model trained elsewhere (PyTorch), imported, evaluated and exported like a trained one.
/// </summary>
public sealed class TrainExecutor : StageExecutor<TrainParameters>
{
    public override StageKindSpec Spec => TrainKind.Definition;

    protected override StageResult Execute(StageContext context, TrainParameters p)
    {
        var dataset = context.Data.Get(context.Stage.Dataset!);
        var data = dataset.Prepared;
        if (p.Weights is { } imported) return Import(context, p, imported, dataset);
        var options = StageOptions.Trainer(p.Training, dataset.Augmentation, context.Seed);
        using var model = TrainingRun.CreateModel(ModelSpec.Of(context.Pipeline, context.Stage.Model!), data, context.Seed, context.Device, message => context.Observer.Info($"{context.Stage.Id}: {message}"));
        using var run = new TrainingRun(model, data, options, new LabelSmoothingObjective(p.Alpha), context.Device);

        if (p.MutualInformation is { Enabled: true } mi)
        {
            var classes = ClassList.Resolve(mi.Classes, data.ClassNames, context.Stage.Id);
            // One augmentation seed for every teacher of the pipeline, so their curves are comparable.
            long probeSeed = (long)DeterministicRandom.Hash(context.Pipeline.Seed, DeterministicRandom.HashText("mutual-information-probe"));
            var probe = new MutualInformationProbe(model, data, context.Device, mi.ProbeAugmentation(dataset.Augmentation),
                classes[0], classes[1], mi.ExamplesPerClass, mi.Augmentations, probeSeed);
            if (probe.Examples < 2 * mi.ExamplesPerClass)
                context.Observer.Info($"{context.Stage.Id}: the mutual-information probe asks for {mi.ExamplesPerClass} examples per class; the training split has {probe.Examples} of the two classes, so it uses those (N = {probe.Examples})");
            run.EpochProbes.Add(_ =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var estimate = probe.Measure();
                return new Dictionary<string, double>
                {
                    [MetricNames.MutualInformation] = estimate.Value,
                    [MetricNames.MutualInformationBound] = estimate.UpperBound,
                    [MetricNames.MutualInformationSeconds] = clock.Elapsed.TotalSeconds,
                };
            });
        }
        return TrainingStageDriver.Run(context, run, p.Training, p.TensorBoard);
    }

    /// <summary>Loads the weights file (a mismatch names every missing, extra and misshapen tensor), evaluates, exports.</summary>
    private static StageResult Import(StageContext context, TrainParameters p, ImportedWeights imported, PipelineDataset dataset)
    {
        var data = dataset.Prepared;
        var path = ExternalFiles.Resolve(context.Pipeline, imported.Path);
        using var model = TrainingRun.CreateModel(ModelSpec.Of(context.Pipeline, context.Stage.Model!), data, context.Seed, context.Device, message => context.Observer.Info($"{context.Stage.Id}: {message}"));
        if (model is TorchScriptNet script) script.Load(path);
        else ModelWeights.LoadExternal(model, path, imported.Format switch { ImportFormat.Pytorch => WeightsFormat.PyTorch, ImportFormat.Safetensors => WeightsFormat.Safetensors, _ => throw new ArgumentOutOfRangeException(nameof(imported)) },
            imported.WeightsLayout);
        if (context.Device.type != DeviceType.CPU) model.to(context.Device);
        model.eval();
        var metrics = new Dictionary<string, double>();
        foreach (var (split, accuracy, nll) in new[] { (DataSplit.Validation, MetricNames.ValidationAccuracy, MetricNames.ValidationNll), (DataSplit.Test, MetricNames.TestAccuracy, MetricNames.TestNll) })
        {
            if (data.Get(split).Count == 0) continue;
            var evaluation = Evaluator.Evaluate(model, new BatchMaker(data.Get(split), data.Statistics, context.Device), p.Training.EvalBatchSize);
            metrics[accuracy] = evaluation.Accuracy;
            metrics[nll] = evaluation.Nll;
        }
        Outputs.WriteModel(context, dataset, model, metrics);
        context.Observer.Info($"{context.Stage.Id}: imported {Path.GetFileName(path)}; test accuracy {metrics.GetValueOrDefault(MetricNames.TestAccuracy):P2}");
        return new StageResult(true, metrics);
    }
}
