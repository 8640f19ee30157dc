using System.Diagnostics;
using Distill.Learning.Models;
using Distill.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// One SGD step (forward, label-smoothed loss, backward, update) on random 32x32x3 batches, timed
/// step by step after warm-up; reports the median images/s and the process's peak memory.
/// </summary>
internal static class TrainingThroughput
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        Console.WriteLine($"training step, batch {options.BatchSize}, 32x32x3, {get_num_threads()} threads, median of {options.Steps} steps after {options.Warmup} warm-up steps");
        Console.WriteLine($"{"model",-10} {"params",10} {"images/s",10} {"ms/step",9} {"min-max ms",14} {"peak MiB",9}");
        foreach (var (name, factory) in new (string, Func<ClassifierNet>)[]
                 {
                     ("resnet56", () => new CifarResNet(56, 3, 10)),
                     ("alexnet", () => new AlexNetCifar(3, 32, 32, 10)),
                 })
        {
            manual_seed(0);
            using var model = factory();
            using var optimizer = optim.SGD(model.parameters(), 0.1, 0.9, 0, 5e-4, true);
            using var inputs = randn(options.BatchSize, 3, 32, 32);
            using var labels = randint(0, 10, [options.BatchSize]);
            model.train();
            PeakMemory.ResetPeak();
            var times = new List<double>();
            var phases = new List<double[]>();
            for (int i = 0; i < options.Warmup + options.Steps; i++)
            {
                var watch = Stopwatch.StartNew();
                var phase = new double[4];
                using (NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var logits = model.forward(inputs);
                    phase[0] = watch.Elapsed.TotalMilliseconds;
                    var loss = LabelSmoothing.CrossEntropy(logits, labels, 0.1);
                    phase[1] = watch.Elapsed.TotalMilliseconds;
                    loss.backward();
                    phase[2] = watch.Elapsed.TotalMilliseconds;
                    optimizer.step();
                }
                phase[3] = watch.Elapsed.TotalMilliseconds;
                if (i >= options.Warmup)
                {
                    times.Add(phase[3]);
                    phases.Add(phase);
                }
            }
            double median = Stats.Median(times);
            Console.WriteLine($"{name,-10} {model.ParameterCount(),10:N0} {options.BatchSize / (median / 1000),10:F0} {median,9:F1} {times.Min(),6:F0}-{times.Max(),-7:F0} {PeakMemory.PeakMiB(),9:F0}");
            double Part(int k) => Stats.Median(phases.Select(p => p[k] - (k == 0 ? 0 : p[k - 1])).ToList());
            Console.WriteLine($"{"",-10} median ms: forward {Part(0):F1}, loss {Part(1):F1}, backward {Part(2):F1}, optimizer {Part(3):F1}");
        }
    }
}
