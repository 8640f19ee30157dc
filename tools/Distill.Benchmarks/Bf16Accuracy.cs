using System.Diagnostics;
using Distill.Analysis;
using Distill.Analysis.Calibration;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// bf16 against fp32 on the quickstart's teacher (pipelines/quickstart.yaml: ResNet-8 of width 16, 2,000 Fashion-MNIST
/// training images without augmentation, batch 64, lr 0.05 cosine, weight decay 5e-4, hard targets; test on 2,000)
/// for seeds 1-3, each seed's two runs from the same initialisation and data order. Prints each run's test accuracy
/// and ECE (15 bins), then the means and the paired bf16 - fp32 differences with 95 % t-intervals (2 degrees of
/// freedom). --epochs sets the epochs (the quickstart's teachers train 18).
/// </summary>
internal static class Bf16Accuracy
{
    private static readonly long[] Seeds = [1, 2, 3];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        if (PrecisionSupport.Unavailable(Precision.Bf16) is { } missing)
        {
            Console.WriteLine($"bf16-accuracy: skipped, {missing}");
            return;
        }
        using var data = DataPreparation.Prepare(new FashionMnistDataset(),
            new SplitOptions { ValidationSize = 1000, TrainSubset = 2000, TestSubset = 2000, Seed = 42 });
        Console.WriteLine($"bf16 vs fp32: quickstart teacher (ResNet-8 width 16, Fashion-MNIST 2,000 train / 2,000 test), {options.Epochs} epochs, " +
                          $"seeds {string.Join(", ", Seeds)}, {get_num_threads()} threads");
        Console.WriteLine($"{"seed",4} {"precision",9} {"test acc",9} {"ECE",7} {"train s",8}");
        var results = new Dictionary<Precision, List<(double Accuracy, double Ece)>> { [Precision.Fp32] = [], [Precision.Bf16] = [] };
        foreach (long seed in Seeds)
        foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
        {
            var clock = Stopwatch.StartNew();
            var (accuracy, ece) = TrainAndTest(data, seed, precision, options.Epochs);
            results[precision].Add((accuracy, ece));
            Console.WriteLine($"{seed,4} {precision.Name(),9} {accuracy,9:P2} {ece,7:F4} {clock.Elapsed.TotalSeconds,8:F0}");
        }
        foreach (var precision in results.Keys)
            Console.WriteLine($"{precision.Name()}: test accuracy {Mean(results[precision].Select(r => r.Accuracy)):P2}, ECE {Mean(results[precision].Select(r => r.Ece)):F4} (means over {Seeds.Length} seeds)");
        var accuracyDiff = results[Precision.Bf16].Zip(results[Precision.Fp32], (b, f) => 100 * (b.Accuracy - f.Accuracy)).ToList();
        var eceDiff = results[Precision.Bf16].Zip(results[Precision.Fp32], (b, f) => b.Ece - f.Ece).ToList();
        Console.WriteLine($"bf16 - fp32, paired by seed: test accuracy {Interval(accuracyDiff, "F2")} points, ECE {Interval(eceDiff, "F4")}");
    }

    private static (double Accuracy, double Ece) TrainAndTest(PreparedData data, long seed, Precision precision, int epochs)
    {
        var options = new TrainerOptions
        {
            Epochs = epochs, BatchSize = 64, LearningRate = 0.05, Schedule = ScheduleKind.Cosine, WeightDecay = 5e-4,
            Augmentation = AugmentationSpec.None, Seed = seed, Precision = precision,
        };
        TorchRuntime.Seed(seed);
        using var model = new CifarResNet(8, data.Train.Channels, data.ClassNames.Count, width: 16);
        model.Precision = precision;
        ConvolutionSelfCheck.VerifyModel(model, data.Train.Channels, data.Train.Height, data.Train.Width, Console.WriteLine);
        var batches = new AugmentedBatches(new BatchMaker(data.Train, data.Statistics, CPU), options.Augmentation, seed);
        using var trainer = new Trainer(model, batches, options, new LabelSmoothingObjective(0));
        trainer.Run(CancellationToken.None);
        var test = new BatchMaker(data.Test, data.Statistics, CPU);
        float[] logits = Evaluator.Logits(model, test, 512, AugmentationSpec.None, 0, 0);
        int[] labels = data.Test.Labels.Select(l => (int)l).ToArray();
        var matrix = new LogitMatrix(logits.Select(v => (double)v).ToArray(), data.ClassNames.Count);
        return (CalibrationMetrics.Accuracy(matrix, labels), CalibrationMetrics.ExpectedCalibrationError(matrix, labels));
    }

    private static double Mean(IEnumerable<double> values) => values.Average();

    /// <summary>"mean [low, high]" with a 95 % t-interval (t = 4.303 for 2 degrees of freedom; other counts: the normal 1.96).</summary>
    private static string Interval(IReadOnlyList<double> values, string format)
    {
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double t = values.Count == 3 ? 4.303 : 1.96;
        double half = t * sd / Math.Sqrt(values.Count);
        return $"{mean.ToString(format)} [{(mean - half).ToString(format)}, {(mean + half).ToString(format)}]";
    }
}
