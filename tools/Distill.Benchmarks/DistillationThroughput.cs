using System.Diagnostics;
using Distill.Learning.Data;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Distillation;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Student training throughput (AlexNet, batch 128, 32x32x3) three ways: plain label-smoothed
/// training, distillation from a memory-mapped logit cache, and distillation from a live ResNet-56
/// teacher. The three are interleaved round by round so machine noise hits them alike.
/// </summary>
internal static class DistillationThroughput
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        const int examples = 4096, classes = 10;
        int batch = options.BatchSize;
        Console.WriteLine($"student training step (alexnet), batch {batch}, 32x32x3, {get_num_threads()} threads, teacher resnet56; median of {options.Steps} steps x {Rounds} rounds");

        using var images = SyntheticImages.Create(examples, classes);
        var statistics = ChannelStatistics.Compute(images.Images);
        var maker = new BatchMaker(images, statistics, CPU);
        using var teacher = new CifarResNet(56, 3, classes);
        teacher.eval();

        var cachePath = Path.Combine(Path.GetTempPath(), $"distill-bench-{Environment.ProcessId}.npy");
        NpyWriter.Write(cachePath, Evaluator.Logits(teacher, maker, 256, AugmentationSpec.None, 0, 0), examples, classes);
        using var cache = new CachedTeacher(NpyFile.Open(cachePath), CPU);
        try
        {
            var variants = new (string Name, Func<ITrainingObjective> Objective)[]
            {
                ("plain", () => new LabelSmoothingObjective(0)),
                ("cached", () => new DistillationObjective(cache, new SoftTargetLoss(4, 1, 1, false))),
                ("live", () => new DistillationObjective(new LiveTeacher(teacher), new SoftTargetLoss(4, 1, 1, false))),
            };
            var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
            for (int round = 0; round < Rounds; round++)
                foreach (var (name, objective) in variants)
                    times[name].AddRange(TimeSteps(maker, objective(), batch, options.Warmup, options.Steps));

            double plain = Stats.Median(times["plain"]);
            Console.WriteLine($"{"variant",-8} {"images/s",10} {"ms/step",9} {"vs plain",9}");
            foreach (var (name, _) in variants)
            {
                double median = Stats.Median(times[name]);
                Console.WriteLine($"{name,-8} {batch / (median / 1000),10:F0} {median,9:F1} {median / plain,8:F3}x");
            }
        }
        finally
        {
            File.Delete(cachePath);
        }
    }

    private const int Rounds = 3;

    private static IEnumerable<double> TimeSteps(BatchMaker maker, ITrainingObjective objective, int batch, int warmup, int steps)
    {
        manual_seed(1);
        using var student = new AlexNetCifar(3, 32, 32, 10);
        var options = new TrainerOptions { Epochs = 1000, BatchSize = batch, LearningRate = 0.01, Seed = 1 };
        using var trainer = new Trainer(student, new ViewReplayBatches(maker, new AugmentationSpec(), 1, 1, 1), options, objective);
        var times = new List<double>();
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        int step = 0;
        trainer.StepCompleted = _ =>
        {
            if (step++ >= warmup) times.Add(watch.Elapsed.TotalMilliseconds);
            if (step >= warmup + steps) stop.Cancel();
            watch.Restart();
        };
        trainer.Run(stop.Token);
        return times;
    }
}
