using Distill.Analysis;
using Distill.Analysis.Geometry;
using Distill.Analysis.Information;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Randomness;
using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Models;
using Distill.Stages.Training;
using TorchSharp;

namespace Distill.Stages.Kinds.Distill;

/// <summary>
/// `distill`: a student trained on a teacher's outputs at temperature T, the teacher replayed from its
/// logit cache (default) or run live. The student sees exactly the inputs the teacher's logits belong
/// to (view replay); the teacher's smoothness index gamma at T is recorded with the results.
/// </summary>
public sealed class DistillExecutor : StageExecutor<DistillParameters>
{
    public override StageKindSpec Spec => DistillKind.Definition;

    protected override StageResult Execute(StageContext context, DistillParameters p)
    {
        var dataset = context.Data.Get(context.Stage.Dataset!);
        var data = dataset.Prepared;
        double temperature = p.Temperature;
        int views = p.Views;
        var options = StageOptions.Trainer(p.Training, dataset.Augmentation, context.Seed) with { DotDelta = p.Dot?.Delta };
        var input = context.Input("teacher");
        bool live = p.LiveTeacher;
        var teacherStage = context.Completed(context.Lineage.ModelStageOfInput(context.Stage.Id, "teacher")!.Id);
        long viewSeed = LogitCacheLayout.ViewSeed(context.Pipeline.Seed, teacherStage.Manifest.StreamKey);

        var loss = DistillationLosses.Create(p);
        using var teacher = live ? LiveSource(context, input, dataset) : CachedSource(context, input, teacherStage, dataset, loss.TeacherPoints.Contains(FeaturePoints.Embedding));
        var batches = new ViewReplayBatches(new BatchMaker(data.Train, data.Statistics, context.Device), dataset.Augmentation, viewSeed, views, context.Seed);
        var objective = new DistillationObjective(teacher.Logits, loss);

        using var student = TrainingRun.CreateModel(ModelSpec.Of(context.Pipeline, context.Stage.Model!), data, context.Seed, context.Device, message => context.Observer.Info($"{context.Stage.Id}: {message}"));
        if (context.Inputs.ContainsKey(DistillKind.InitRole)) ModelWeights.Load(student, TeacherModel.WeightsPath(context.Input(DistillKind.InitRole)));
        // Only a loss that reads feature points needs their shapes probed; a logit method's connector (CTKD's) needs none.
        bool features = loss.StudentPoints.Count > 0;
        loss.Connect(new ConnectorContext(
            features ? student.FeatureShapes(data.Train.Channels, data.Train.Height, data.Train.Width) : NoShapes,
            features ? teacher.Shapes() : NoShapes,
            data.Train.Labels, (long)DeterministicRandom.Hash(context.Seed, DeterministicRandom.HashText("connector")))
        {
            TeacherNorm = teacher.Norm,
        });
        // The connector (FitNet's regressor, CTKD's temperature) lives only as long as the training: it is not part of the student.
        using var connector = loss.Connector?.to(context.Device);
        using var run = new TrainingRun(student, data, options, objective, context.Device, batches);
        var result = TrainingStageDriver.Run(context, run, p.Training,
            beforeFirstStep: loss.Pretraining is { } part ? stop => Pretrain(context, part, teacher.Logits, batches, options, stop) : null);
        if (!result.Completed) return result;

        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            [MetricNames.TeacherGamma] = teacher.Gamma(data, temperature),
        };
        if (loss is CurriculumTemperatureLoss { Temperature: { } learned }) metrics[MetricNames.LearnedTemperature] = learned;
        if (p.Diffusion is { } diffusion) MeasureDiffusion(student, data, diffusion, context, metrics);
        return result with { Metrics = metrics };
    }

    /// <summary>The connector's part that trains alone before the student (FT's paraphraser), one progress line per epoch.</summary>
    private static bool Pretrain(StageContext context, IConnectorPretraining part, ITeacherOutputs teacher, ITrainingBatches batches,
        TrainerOptions options, CancellationToken stop) =>
        ConnectorPretrainer.Run(part, teacher, batches, options, stop, (epoch, loss) =>
            context.Observer.Info($"{context.Stage.Id}: connector pre-training epoch {epoch}/{part.Epochs}, loss {loss:G4}"));

    private static readonly IReadOnlyDictionary<string, long[]> NoShapes = new Dictionary<string, long[]>();

    /// <summary>The student's spread toward each declared class pair on the test split (the compatibility study's C3).</summary>
    private static void MeasureDiffusion(ClassifierNet student, PreparedData data, DiffusionParameters diffusion, StageContext context, Dictionary<string, double> metrics)
    {
        var test = data.Test;
        var features = PenultimateActivations.Of(student, new BatchMaker(test, data.Statistics, context.Device), [.. Enumerable.Range(0, test.Count).Select(i => (long)i)]);
        int dimension = features.Length / Math.Max(1, test.Count);
        var labels = test.Labels.Select(l => (int)l).ToArray();
        double Measure(IReadOnlyList<IReadOnlyList<object>> given)
        {
            var pairs = given.Select(p => ClassList.Resolve(p, data.ClassNames, context.Stage.Id)).Select(p => (p[0], p[1])).ToList();
            var (perPair, mean) = ClassDiffusion.Mean(features, dimension, labels, pairs);
            for (int i = 0; i < pairs.Count; i++) metrics[MetricNames.Diffusion(pairs[i].Item1, pairs[i].Item2)] = perPair[i];
            return mean;
        }
        metrics[MetricNames.DiffusionSimilar] = Measure(diffusion.Similar);
        metrics[MetricNames.DiffusionDissimilar] = Measure(diffusion.Dissimilar);
    }

    private static TeacherSource LiveSource(StageContext context, StageInputRef teacher, Data.PipelineDataset dataset)
    {
        var model = TeacherModel.Load(context, teacher, dataset);
        var maker = new BatchMaker(dataset.Prepared.Train, dataset.Prepared.Statistics, context.Device);
        var data = dataset.Prepared;
        return new TeacherSource(new LiveTeacher(model), () => Evaluator.Logits(model, maker, 512, AugmentationSpec.None, 0, 0), model,
            () => model.FeatureShapes(data.Train.Channels, data.Train.Height, data.Train.Width), model.NormBeforeActivation);
    }

    private static TeacherSource CachedSource(StageContext context, StageInputRef cache, StageInputRef producer, Data.PipelineDataset dataset, bool embeddings)
    {
        var data = dataset.Prepared;
        var file = VerifiedLogitCache.Open(context, producer, cache, dataset, DataSplit.Train);
        var embedded = embeddings ? VerifiedLogitCache.OpenEmbeddings(context, cache, file.Rows, DataSplit.Train) : null;
        var teacher = new CachedTeacher(file, embedded, context.Device);
        var shapes = new Dictionary<string, long[]> { [FeaturePoints.Logits] = [file.Columns] };
        if (embedded is not null) shapes[FeaturePoints.Embedding] = [embedded.Columns];
        return new TeacherSource(teacher, () => file.GetRows(0, data.Train.Count).ToArray(), teacher, () => shapes, _ => null);
    }

    /// <summary>The teacher's outputs per batch, its plain training logits (for gamma), the shapes of its points, and what to dispose.</summary>
    private sealed class TeacherSource(ITeacherOutputs logits, Func<float[]> plainTrainLogits, IDisposable owned,
        Func<IReadOnlyDictionary<string, long[]>> shapes, Func<string, TorchSharp.Modules.BatchNorm2d?> norms) : IDisposable
    {
        public ITeacherOutputs Logits { get; } = logits;

        /// <summary>A live teacher's batch norm before a point's ReLU (OFD's margins); none for a cache.</summary>
        public TorchSharp.Modules.BatchNorm2d? Norm(string point) => norms(point);

        /// <summary>The shapes of the teacher's points (a live teacher's probed by a forward pass, so only when asked).</summary>
        public IReadOnlyDictionary<string, long[]> Shapes() => shapes();

        public double Gamma(PreparedData data, double temperature)
        {
            var matrix = LogitMatrix.FromFloats(plainTrainLogits(), data.ClassNames.Count);
            return SmoothnessIndex.FromLogits(matrix, data.Train.Labels.Select(l => (int)l).ToArray(), temperature);
        }

        public void Dispose() => owned.Dispose();
    }
}
