using System.Diagnostics;
using Distill.Learning.Models;
using Distill.Learning.Platform;
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
    /// <summary>The two networks of the paper, as the training and versus-pytorch suites build them.</summary>
    public static readonly (string Name, Func<ClassifierNet> Create)[] Models =
    [
        ("resnet56", () => new CifarResNet(56, 3, 10)),
        ("alexnet", () => new AlexNetCifar(3, 32, 32, 10)),
    ];

    /// <summary>The networks a run asks for: all of them, or the one --model names.</summary>
    public static IReadOnlyList<(string Name, Func<ClassifierNet> Create)> Selected(BenchmarkOptions options) =>
        options.Model is null ? Models
        : Models.Where(m => m.Name == options.Model).ToList() is { Count: > 0 } one ? one
        : throw new ArgumentException($"--model {options.Model}: expected {string.Join(" or ", Models.Select(m => m.Name))}");

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        Console.WriteLine($"training step, batch {options.BatchSize}, 32x32x3, {get_num_threads()} threads, median of {options.Steps} steps after {options.Warmup} warm-up steps");
        Console.WriteLine($"{"model",-10} {"params",10} {"images/s",10} {"ms/step",9} {"min-max ms",14} {"peak MiB",9}");
        foreach (var (name, factory) in Selected(options))
        foreach (var precision in options.DistillPrecisions)
        {
            PeakMemory.ResetPeak();
            var (parameters, steps) = Measure(factory, options, precision);
            var times = steps.Select(s => s.Total).ToList();
            double median = Stats.Median(times);
            string label = precision == Precision.Fp32 ? name : $"{name} {precision.Name()}";
            Console.WriteLine($"{label,-10} {parameters,10:N0} {options.BatchSize / (median / 1000),10:F0} {median,9:F1} {times.Min(),6:F0}-{times.Max(),-7:F0} {PeakMemory.PeakMiB(),9:F0}");
            Console.WriteLine($"{"",-10} median ms: forward {Stats.Median(steps.Select(s => s.Forward).ToList()):F1}, loss {Stats.Median(steps.Select(s => s.Loss).ToList()):F1}, " +
                              $"backward {Stats.Median(steps.Select(s => s.Backward).ToList()):F1}, optimizer {Stats.Median(steps.Select(s => s.Optimizer).ToList()):F1}");
        }
    }

    /// <summary>One timed step's phases, in milliseconds.</summary>
    public sealed record StepTime(double Forward, double Loss, double Backward, double Optimizer)
    {
        public double Total => Forward + Loss + Backward + Optimizer;
    }

    /// <summary>Builds the model (seed 0) in a precision, takes the warm-up steps, then times the rest one by one.</summary>
    public static (long Parameters, List<StepTime> Steps) Measure(Func<ClassifierNet> factory, BenchmarkOptions options, Precision precision = Precision.Fp32)
    {
        manual_seed(0);
        using var model = factory();
        model.Precision = precision; // throws CpuFeatureMissingException where the CPU lacks bf16
        // The trainer's optimizer (Distill's SGD: LibTorch's update to the bit, fused into one loop).
        using var optimizer = new SGD(model.parameters(), 0.1, 0.9, 5e-4, nesterov: true);
        using var inputs = randn(options.BatchSize, 3, 32, 32);
        using var labels = randint(0, 10, [options.BatchSize]);
        model.train();
        var natives = new FinalizerOnlyNatives();
        var steps = new List<StepTime>();
        for (int i = 0; i < options.Warmup + options.Steps; i++)
        {
            var watch = Stopwatch.StartNew();
            double forward, loss, backward;
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var logits = model.forward(inputs);
                forward = watch.Elapsed.TotalMilliseconds;
                var value = LabelSmoothing.CrossEntropy(logits, labels, 0.1);
                loss = watch.Elapsed.TotalMilliseconds;
                value.backward();
                backward = watch.Elapsed.TotalMilliseconds;
                optimizer.step();
            }
            natives.ReleaseIfDue(); // as the trainer does after its steps
            double end = watch.Elapsed.TotalMilliseconds;
            if (i >= options.Warmup)
                steps.Add(new StepTime(forward, loss - forward, backward - loss, end - backward));
        }
        return (model.ParameterCount(), steps);
    }
}
