using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

/// <summary>
/// Training in bfloat16 keeps the trainer's promises: same seed, same bits; a resumed run equals an uninterrupted one;
/// the loss goes down, close to float32's; float32 master weights and optimizer state. Skipped where the CPU (or
/// ONEDNN_MAX_CPU_ISA) has no bfloat16.
/// </summary>
public sealed class Bf16TrainingTests
{
    private static void SkipWithoutBf16() => Skip.If(PrecisionSupport.Unavailable(Precision.Bf16) is not null, PrecisionSupport.Unavailable(Precision.Bf16));

    private static PreparedData SmallFashionMnist() =>
        DataPreparation.Prepare(new FashionMnistDataset(), new SplitOptions { ValidationSize = 200, TrainSubset = 600, TestSubset = 300, Seed = 1 });

    /// <summary>As TrainerTests' resume test (augmented, batch 64).</summary>
    private static readonly TrainerOptions Options = new()
    {
        Epochs = 2, BatchSize = 64, LearningRate = 0.05, Seed = 9, Precision = Precision.Bf16,
    };

    /// <summary>As TrainerTests' learning test (batch 32, no augmentation), where a float32 twin runs fast too.</summary>
    private static readonly TrainerOptions Plain = Options with { BatchSize = 32, Augmentation = AugmentationSpec.None, Seed = 4 };

    /// <summary>A width-8 ResNet-8: the stem and first stage run on the padded kernel, the rest on plain oneDNN.</summary>
    private static (CifarResNet Model, Trainer Trainer) Build(PreparedData data, TrainerOptions options)
    {
        manual_seed(options.Seed);
        var model = new CifarResNet(8, 1, 10, width: 8);
        var batches = new BatchMaker(data.Train, data.Statistics, CPU);
        return (model, new Trainer(model, new AugmentedBatches(batches, options.Augmentation, options.Seed), options, new LabelSmoothingObjective(0.1)));
    }

    private static (Tensor[] Parameters, List<double> Losses) Train(PreparedData data, TrainerOptions options)
    {
        var (model, trainer) = Build(data, options);
        using (model)
        using (trainer)
        {
            var losses = new List<double>();
            trainer.StepCompleted = report => losses.Add(report.Loss);
            Assert.Equal(TrainingOutcome.Completed, trainer.Run(CancellationToken.None));
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype)); // fp32 master weights
            return (model.parameters().Select(p => p.detach().clone()).ToArray(), losses);
        }
    }

    [SkippableFact]
    public void Two_bf16_runs_with_one_seed_give_the_same_bits_and_not_the_fp32_ones()
    {
        SkipWithoutBf16();
        using var data = SmallFashionMnist();
        var (a, lossesA) = Train(data, Plain with { Epochs = 1 });
        var (b, lossesB) = Train(data, Plain with { Epochs = 1 });
        var (fp32, lossesFp32) = Train(data, Plain with { Epochs = 1, Precision = Precision.Fp32 });

        Assert.Equal(lossesA, lossesB);
        for (int i = 0; i < a.Length; i++) Assert.True(TensorAssert.Identical(a[i], b[i]), $"parameter {i} differs between two bf16 runs");
        Assert.Contains(Enumerable.Range(0, a.Length), i => !TensorAssert.Identical(a[i], fp32[i])); // bf16 is not a no-op

        // The same training, to bfloat16's accuracy: the first step's loss (no update yet) within 1 %.
        Assert.True(Math.Abs(lossesA[0] - lossesFp32[0]) <= 0.01 * lossesFp32[0], $"first loss bf16 {lossesA[0]} vs fp32 {lossesFp32[0]}");
    }

    [SkippableFact]
    public void A_few_bf16_steps_reduce_the_loss_as_fp32_steps_do()
    {
        SkipWithoutBf16();
        using var data = SmallFashionMnist();
        var (_, bf16) = Train(data, Plain);
        var (_, fp32) = Train(data, Plain with { Precision = Precision.Fp32 });

        double First(List<double> l) => l.Take(5).Average();
        double Last(List<double> l) => l.TakeLast(5).Average();
        string losses = $"bf16 {First(bf16):F3} -> {Last(bf16):F3}, fp32 {First(fp32):F3} -> {Last(fp32):F3} over {bf16.Count} steps";
        Assert.True(Last(bf16) < 0.8 * First(bf16), losses);
        Assert.True(Math.Abs(Last(bf16) - Last(fp32)) <= 0.1 * Last(fp32), losses);
    }

    [SkippableFact]
    public void Resuming_a_bf16_run_from_a_checkpoint_gives_identical_weights()
    {
        SkipWithoutBf16();
        using var data = SmallFashionMnist();
        var (straight, _) = Train(data, Options);

        using var checkpoint = new MemoryStream();
        var (firstModel, first) = Build(data, Options);
        using (firstModel)
        using (first)
        {
            using var stop = new CancellationTokenSource();
            first.StepCompleted = report => { if (report.Epoch == 0 && report.Step == 6) stop.Cancel(); };
            Assert.Equal(TrainingOutcome.Stopped, first.Run(stop.Token));
            first.SaveCheckpoint(checkpoint);
        }

        // Neither precision resumes the other's checkpoint.
        checkpoint.Position = 0;
        var (fp32Model, fp32) = Build(data, Options with { Precision = Precision.Fp32 });
        using (fp32Model)
        using (fp32)
        {
            var error = Assert.Throws<InvalidDataException>(() => fp32.LoadCheckpoint(checkpoint));
            Assert.Equal("the checkpoint was written by a bf16 run and cannot resume a fp32 run", error.Message);
        }

        checkpoint.Position = 0;
        var (resumedModel, resumed) = Build(data, Options);
        using (resumedModel)
        using (resumed)
        {
            resumed.LoadCheckpoint(checkpoint);
            Assert.Equal(new TrainingPosition(0, 7), resumed.Position);
            resumed.Run(CancellationToken.None);
            var b = resumedModel.parameters().ToArray();
            for (int i = 0; i < straight.Length; i++) Assert.True(TensorAssert.Identical(straight[i], b[i]), $"parameter {i} differs");
        }
    }

    [SkippableFact]
    public void A_bf16_trainer_checks_its_own_bf16_kernels_before_its_first_step()
    {
        SkipWithoutBf16();
        // 12x12 images and width 24: shapes no other test checks, so only the trainer can have checked them.
        manual_seed(5);
        using var model = new CifarResNet(8, 2, 10, width: 24);
        var batches = new FixedBatches(randn(16, 2, 12, 12), randint(0, 10, [16]));
        var warnings = new List<string>();
        using var trainer = new Trainer(model, batches, Options with { Epochs = 1, BatchSize = 16 }, new LabelSmoothingObjective(0)) { KernelWarning = warnings.Add };
        var shapes = ConvolutionSelfCheck.ShapesOf(model, 2, 12, 12);
        Assert.All(shapes, s => Assert.Equal(Precision.Bf16, s.Config.Precision)); // the trainer set the model's precision
        Assert.Contains(shapes, s => !ConvolutionSelfCheck.IsVerified(s));

        Assert.Equal(TrainingOutcome.Completed, trainer.Run(CancellationToken.None));

        Assert.All(shapes, s => Assert.True(ConvolutionSelfCheck.IsVerified(s), $"{s} ran unchecked"));
    }

    private sealed class FixedBatches(Tensor inputs, Tensor labels) : ITrainingBatches
    {
        public int Count => (int)inputs.shape[0];

        public TrainingBatch Make(ReadOnlySpan<long> indices, int epoch) => new(inputs, labels, indices.ToArray());
    }
}
