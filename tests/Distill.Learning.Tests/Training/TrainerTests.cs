using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

public class TrainerTests
{
    private static (CifarResNet Model, Trainer Trainer, BatchMaker Batches) Build(PreparedData data, TrainerOptions options)
    {
        manual_seed(options.Seed);
        var model = new CifarResNet(8, 1, 10, width: 8);
        var batches = new BatchMaker(data.Train, data.Statistics, CPU);
        return (model, new Trainer(model, new AugmentedBatches(batches, options.Augmentation, options.Seed), options, new LabelSmoothingObjective(0.1)), batches);
    }

    private static PreparedData SmallFashionMnist() =>
        DataPreparation.Prepare(new FashionMnistDataset(), new SplitOptions { ValidationSize = 200, TrainSubset = 600, TestSubset = 300, Seed = 1 });

    [Fact]
    public void LearnsAboveChanceOnASmallSubset()
    {
        using var data = SmallFashionMnist();
        var options = new TrainerOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.05, Seed = 4, Augmentation = AugmentationSpec.None };
        var (model, trainer, _) = Build(data, options);
        using (model)
        using (trainer)
        {
            Assert.Equal(TrainingOutcome.Completed, trainer.Run(CancellationToken.None));
            var test = Evaluator.Evaluate(model, new BatchMaker(data.Test, data.Statistics, CPU), 256);
            Assert.True(test.Accuracy > 0.4, $"accuracy {test.Accuracy:P1} after 2 epochs on 600 images (chance is 10 %)");
            Assert.Equal(300, test.Count);
        }
    }

    [Fact]
    public void A_diverged_step_names_the_first_module_that_went_non_finite()
    {
        using var data = SmallFashionMnist();
        var options = new TrainerOptions { Epochs = 1, BatchSize = 32, LearningRate = 0.05, Seed = 4, Augmentation = AugmentationSpec.None };
        var (model, trainer, _) = Build(data, options);
        using (model)
        using (trainer)
        {
            using (no_grad())
                model.named_parameters().Single(p => p.name.EndsWith("stage2_block1.conv1.weight", StringComparison.Ordinal)).parameter[0, 0, 0, 0] = double.PositiveInfinity;

            var error = Assert.Throws<TrainingDivergedException>(() => trainer.Run(CancellationToken.None));

            Assert.Contains("at epoch 1, step 1", error.Message);
            Assert.Contains("first non-finite value: the output of _body.stage2_block1.conv1 (RoutedConv2d)", error.Message);
            Assert.Contains("docs/platform-defects.md", error.Message);
        }
    }

    [Fact]
    public void ResumingFromACheckpointGivesIdenticalWeights()
    {
        using var data = SmallFashionMnist();
        var options = new TrainerOptions { Epochs = 2, BatchSize = 64, LearningRate = 0.05, Seed = 9 };

        var (straightModel, straight, _) = Build(data, options);
        using var _straightModel = straightModel;
        using (straight)
            straight.Run(CancellationToken.None);

        // Stop after 7 steps, checkpoint, continue in a fresh model and trainer.
        using var checkpoint = new MemoryStream();
        var (firstModel, first, _) = Build(data, options);
        using (firstModel)
        using (first)
        {
            using var stop = new CancellationTokenSource();
            first.StepCompleted = report => { if (report.Epoch == 0 && report.Step == 6) stop.Cancel(); };
            Assert.Equal(TrainingOutcome.Stopped, first.Run(stop.Token));
            Assert.Equal(new TrainingPosition(0, 7), first.Position);
            first.SaveCheckpoint(checkpoint);
        }
        checkpoint.Position = 0;
        var (resumedModel, resumed, _) = Build(data, options with { Seed = options.Seed });
        using (resumedModel)
        using (resumed)
        {
            resumed.LoadCheckpoint(checkpoint);
            resumed.Run(CancellationToken.None);
            var a = straightModel.parameters().Select(p => p.detach().clone()).ToArray();
            var b = resumedModel.parameters().ToArray();
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++) Assert.True(TensorAssert.Identical(a[i], b[i]), $"parameter {i} differs");
        }
    }

    /// <summary>
    /// The connected losses: FitNet's regressor, CRD's heads with its memory (buffers a checkpoint must hold too),
    /// CTKD's temperature (its curriculum at full reversal in the second epoch), CC's two heads and VID's regressors
    /// and variances.
    /// </summary>
    private static IDistillationLoss ConnectedLoss(string name) => name switch
    {
        "fitnet" => new RepresentationLoss(new HintTerm("stage2"), 100, 1, 0, 4),
        "crd" => new RepresentationLoss(new ContrastiveTerm("embedding", 16, 48, 0.07, 0.5), 100, 1, 0, 4),
        "ctkd" => new CurriculumTemperatureLoss(new CurriculumTemperature(Epochs: 2), 0.9, 0.1),
        "cc" => new RepresentationLoss(new CorrelationCongruenceTerm("embedding", 16), 1, 1, 0, 4),
        "vid" => new RepresentationLoss(new VariationalInformationTerm(["stage1", "stage3"], 5), 1, 1, 0, 4),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>A student whose loss trains a connector beside it, from a live teacher.</summary>
    private static (CifarResNet Model, Trainer Trainer, IDistillationLoss Loss) BuildConnected(PreparedData data, TrainerOptions options, ClassifierNet teacher, string term)
    {
        manual_seed(options.Seed);
        var model = new CifarResNet(8, 1, 10, width: 4);
        var loss = ConnectedLoss(term);
        loss.Connect(new ConnectorContext(model.FeatureShapes(1, 28, 28), teacher.FeatureShapes(1, 28, 28), data.Train.Labels, 5));
        var batches = new BatchMaker(data.Train, data.Statistics, CPU);
        var trainer = new Trainer(model, new ViewReplayBatches(batches, AugmentationSpec.None, 1, 1, options.Seed), options, new DistillationObjective(new LiveTeacher(teacher), loss));
        return (model, trainer, loss);
    }

    /// <summary>What a connector holds: its parameters, then its buffers (batch-norm statistics, CRD's memory).</summary>
    private static Tensor[] ConnectorState(IDistillationLoss loss) => [.. loss.Connector!.parameters(), .. loss.Connector!.buffers()];

    [Theory]
    [InlineData("fitnet")]
    [InlineData("crd")]
    [InlineData("ctkd")]
    [InlineData("cc")]
    [InlineData("vid")]
    public void A_connector_trains_with_the_student_and_resumes_from_the_checkpoint_exactly(string term)
    {
        using var data = SmallFashionMnist();
        manual_seed(2);
        using var teacher = new CifarResNet(8, 1, 10, width: 8);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 64, LearningRate = 0.05, Seed = 9 };

        var (straightModel, straight, straightLoss) = BuildConnected(data, options, teacher, term);
        using var _straight = straightModel;
        var before = ConnectorState(straightLoss).Select(p => p.detach().clone()).ToArray();
        using (straight) straight.Run(CancellationToken.None);
        // The connector learned (weights) and remembered (buffers): every one of its tensors moved.
        foreach (var (after, initial) in ConnectorState(straightLoss).Zip(before))
            Assert.False(TensorAssert.Identical(after, initial), $"{term}: a connector tensor of shape [{string.Join(", ", after.shape)}] never changed");

        using var checkpoint = new MemoryStream();
        var (firstModel, first, _) = BuildConnected(data, options, teacher, term);
        using (firstModel)
        using (first)
        {
            using var stop = new CancellationTokenSource();
            first.StepCompleted = report => { if (report.Epoch == 1 && report.Step == 3) stop.Cancel(); };
            Assert.Equal(TrainingOutcome.Stopped, first.Run(stop.Token));
            first.SaveCheckpoint(checkpoint);
        }
        checkpoint.Position = 0;
        var (resumedModel, resumed, resumedLoss) = BuildConnected(data, options, teacher, term);
        using (resumedModel)
        using (resumed)
        {
            resumed.LoadCheckpoint(checkpoint);
            resumed.Run(CancellationToken.None);
            var expected = straightModel.parameters().Concat(ConnectorState(straightLoss)).ToArray();
            var actual = resumedModel.parameters().Concat(ConnectorState(resumedLoss)).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.True(TensorAssert.Identical(expected[i], actual[i]), $"{term}: tensor {i} differs");
        }
    }
}
