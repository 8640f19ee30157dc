using Distill.Learning.Randomness;
using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Training;

namespace Distill.Stages.Executors;

/// <summary>`train`: a model trained with cross-entropy and label smoothing alpha, with an optional per-epoch MI probe.</summary>
public sealed class TrainExecutor : StageExecutor<TrainParameters>
{
    public override StageKindSpec Spec => StageKinds.TrainSpec;

    protected override StageResult Execute(StageContext context, TrainParameters p)
    {
        var dataset = context.Data.Get(context.Stage.Dataset!);
        var data = dataset.Prepared;
        var options = StageOptions.Trainer(p.Training, dataset.Augmentation, context.Seed);
        using var model = TrainingRun.CreateModel(StageOptions.Model(context.Pipeline.Models[context.Stage.Model!]), data, context.Seed, context.Device, message => context.Observer.Info($"{context.Stage.Id}: {message}"));
        using var run = new TrainingRun(model, data, options, new LabelSmoothingObjective(p.Alpha), context.Device);

        if (p.MutualInformation is { } mi)
        {
            var classes = ClassList.Resolve(mi.Classes, data.ClassNames, context.Stage.Id);
            // One augmentation seed for every teacher of the pipeline, so their curves are comparable.
            long probeSeed = (long)DeterministicRandom.Hash(context.Pipeline.Seed, DeterministicRandom.HashText("mutual-information-probe"));
            var probe = new MutualInformationProbe(model, data, context.Device, dataset.Augmentation.IsIdentity ? new() : dataset.Augmentation,
                classes[0], classes[1], mi.ExamplesPerClass, mi.Augmentations, probeSeed);
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
        return TrainingStageDriver.Run(context, run, p.Training);
    }
}
