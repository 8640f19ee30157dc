using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Trains and evaluates for several epochs and prints the resident memory after each: with every step
/// in a dispose scope and the trainer's per-step release of finalizer-only natives, the figure must stay
/// flat after the first epoch. No collection of its own: it measures what a stage process does.
/// </summary>
internal static class MemorySoak
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        const int examples = 2048, classes = 10;
        int epochs = options.Epochs;
        using var images = SyntheticImages.Create(examples, classes);
        var maker = new BatchMaker(images, ChannelStatistics.Compute(images.Images), CPU);
        using var model = new CifarResNet(20, 3, classes, options.Width);
        var options2 = new TrainerOptions { Epochs = epochs, BatchSize = options.BatchSize, LearningRate = 0.05, Seed = 1 };
        using var trainer = new Trainer(model, new AugmentedBatches(maker, new AugmentationSpec(), 1), options2, new LabelSmoothingObjective(0.1));
        var rss = new List<double>();
        trainer.EpochCompleted = epoch =>
        {
            Evaluator.Evaluate(model, maker, 512);
            rss.Add(PeakMemory.CurrentMiB());
            Console.WriteLine($"epoch {epoch + 1}: resident {rss[^1]:F0} MiB");
        };
        Console.WriteLine($"memory soak: resnet20 width {options.Width} ({Distill.Learning.Platform.ConvolutionRouting.Policy} convolution routing), {examples} images 32x32x3, batch {options.BatchSize}, {epochs} epochs of training + evaluation");
        trainer.Run(CancellationToken.None);
        Console.WriteLine($"growth from epoch 2 to {epochs}: {rss[^1] - rss[1]:+0;-0} MiB ({(rss[^1] - rss[1]) / rss[1]:+0.0%;-0.0%})");
    }
}
