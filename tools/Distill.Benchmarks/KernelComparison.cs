using System.Diagnostics;
using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// The speed of the convolution routing (docs/platform-defects.md): the same training step with every
/// convolution on oneDNN ("before", wrong for some widths), with the routing in force ("after": Distill's own
/// 3x3 kernels where they apply, oneDNN zero-padded where needed), with the routing without Distill's kernels
/// ("routed oneDNN", their A/B) and with the native fallback, alternated round by round in one process so all see
/// the same machine. Also times the per-step check for non-finite gradients the trainer makes.
/// </summary>
internal static class KernelComparison
{
    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        Console.WriteLine($"convolution kernels before/after, batch {options.BatchSize}, 32x32x3 (Fashion-MNIST's ResNet-8: 1x28x28), " +
                          $"{get_num_threads()} threads, {options.Repeats} alternating rounds of {options.Steps} steps (after {options.Warmup} warm-up), medians; {CpuIsa.Description}");
        Console.WriteLine($"{"model",-14} {"before img/s",13} {"routed oneDNN",14} {"after img/s",12} {"after/before",13} {"after/routed",13} " +
                          $"{"native-fallback img/s",22} {"routed convs",13} {"own kernels",12} {"grad check ms",14}");
        foreach (var (name, factory, channels, size) in new (string, Func<ClassifierNet>, int, int)[]
                 {
                     ("resnet56", () => new CifarResNet(56, 3, 10), 3, 32),
                     ("alexnet", () => new AlexNetCifar(3, 32, 32, 10), 3, 32),
                     ("resnet20-w8", () => new CifarResNet(20, 3, 10, width: 8), 3, 32),
                     ("fmnist-resnet8", () => new CifarResNet(8, 1, 10, width: 16), 1, 28), // the quickstart's teacher
                 })
        {
            manual_seed(0);
            using var model = factory();
            using var optimizer = optim.SGD(model.parameters(), 0.01, 0.9, 0, 5e-4, true);
            using var inputs = randn(options.BatchSize, channels, size, size);
            using var labels = randint(0, 10, [options.BatchSize]);
            model.train();
            var before = new List<double>();
            var after = new List<double>();
            var routedOneDnn = new List<double>();
            var fallback = new List<double>();
            var check = new List<double>();
            for (int round = 0; round < options.Repeats; round++)
            {
                foreach (var (policy, times) in new[] { (ConvolutionPolicy.OneDnn, before), (ConvolutionPolicy.OneDnnRouted, routedOneDnn), (ConvolutionPolicy.Auto, after),
                             (ConvolutionPolicy.NativeWhereWrong, fallback) })
                {
                    ConvolutionRouting.Policy = policy;
                    for (int i = 0; i < options.Warmup + options.Steps; i++)
                    {
                        var (step, gradientCheck) = TimeStep(model, optimizer, inputs, labels);
                        if (i < options.Warmup) continue;
                        times.Add(step);
                        if (policy == ConvolutionPolicy.Auto) check.Add(gradientCheck);
                    }
                }
            }
            ConvolutionRouting.Policy = ConvolutionPolicy.Auto;
            var shapes = ConvolutionSelfCheck.ShapesOf(model, channels, size, size);
            int routed = shapes.Count(s => ConvolutionRouting.KernelFor(s) is not (ConvolutionKernel.OneDnn or ConvolutionKernel.OneDnnChannelsLast));
            int own = shapes.Count(s => ConvolutionRouting.KernelFor(s) == ConvolutionKernel.Direct);
            double Rate(List<double> times) => options.BatchSize / (Stats.Median(times) / 1000);
            Console.WriteLine($"{name,-14} {Rate(before),13:F0} {Rate(routedOneDnn),14:F0} {Rate(after),12:F0} {Rate(after) / Rate(before),13:F2} " +
                              $"{Rate(after) / Rate(routedOneDnn),13:F2} {Rate(fallback),22:F0} {routed + " of " + shapes.Count,13} " +
                              $"{own + " of " + shapes.Count,12} {Stats.Median(check),14:F2}");
        }
    }

    /// <returns>The step's milliseconds (forward, loss, backward, update) and, apart, those of the gradient check.</returns>
    private static (double Step, double Check) TimeStep(ClassifierNet model, optim.Optimizer optimizer, Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        optimizer.zero_grad();
        var loss = LabelSmoothing.CrossEntropy(model.forward(inputs), labels, 0.1);
        loss.backward();
        double step = watch.Elapsed.TotalMilliseconds;
        var sums = model.parameters().Select(p => p.grad!.sum()).ToList();
        _ = double.IsFinite(stack(sums).sum().item<float>());
        double gradientCheck = watch.Elapsed.TotalMilliseconds - step;
        watch.Restart();
        optimizer.step();
        return (step + watch.Elapsed.TotalMilliseconds, gradientCheck);
    }
}
