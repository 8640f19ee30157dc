using System.Diagnostics;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Distill's own 3x3 kernels (<see cref="ConvolutionKernel.Direct"/>) against oneDNN's channels-last ones, one layer at
/// a time at the shapes they run in ResNet-56 (batch 128: 16 channels at 32x32, 32 at 16x16) and in the Fashion-MNIST
/// ResNets (16 at 28x28, 32 at 14x14): forward and backward (input and weight gradient) alternated in one process,
/// medians, GFLOP/s, and the largest difference between the two kernels' results relative to the largest value.
/// </summary>
internal static class ConvolutionTiming
{
    private static readonly (int Channels, int Size)[] Shapes = [(16, 32), (32, 16), (64, 8), (16, 28), (32, 14)];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        int repeats = Math.Max(options.Steps, 10);
        Console.WriteLine($"3x3 convolutions alone, batch {options.BatchSize}, {get_num_threads()} threads, median of {repeats} alternated passes " +
                          $"after {options.Warmup} warm-up; {CpuIsa.Description}");
        var direct = new ConvolutionConfig(16, 16, 3, 1, 1, InputGradient: true);
        if (ConvolutionRouting.KernelFor(new ConvolutionShape(direct, 32, 32)) != ConvolutionKernel.Direct)
        {
            Console.WriteLine("(Distill's own kernels need AVX-512 vectors, which this machine or .NET setting lacks, and the default routing: nothing to compare)");
            return;
        }
        Console.WriteLine($"{"shape",-16} {"oneDNN fwd ms",14} {"own fwd ms",11} {"oneDNN bwd ms",14} {"own bwd ms",11} {"own GFLOP/s",12} {"own/oneDNN",11} {"difference",11}");
        foreach (var (channels, size) in Shapes)
        {
            using var scope = NewDisposeScope();
            var config = direct with { InChannels = channels, OutChannels = channels };
            var x = randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2).requires_grad_();
            var weight = randn(channels, channels, 3, 3).div_(Math.Sqrt(channels * 9)).requires_grad_();
            var gradient = randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2);
            var times = new Dictionary<ConvolutionKernel, (List<double> Forward, List<double> Backward)>
            {
                [ConvolutionKernel.OneDnnChannelsLast] = ([], []),
                [ConvolutionKernel.Direct] = ([], []),
            };
            var results = new Dictionary<ConvolutionKernel, Tensor[]>();
            for (int pass = 0; pass < options.Warmup + repeats; pass++)
                foreach (var (kernel, (forward, backward)) in times)
                {
                    using var step = NewDisposeScope();
                    var watch = Stopwatch.StartNew();
                    var y = RoutedConvolution.Apply(x, weight, null, config, kernel);
                    double forwardMs = watch.Elapsed.TotalMilliseconds;
                    watch.Restart();
                    var grads = autograd.grad([y], [x, weight], [gradient]);
                    double backwardMs = watch.Elapsed.TotalMilliseconds;
                    if (pass < options.Warmup)
                    {
                        results[kernel] = [y.detach().MoveToOuterDisposeScope(), grads[0].MoveToOuterDisposeScope(), grads[1].MoveToOuterDisposeScope()];
                        continue;
                    }
                    forward.Add(forwardMs);
                    backward.Add(backwardMs);
                }
            double difference = results[ConvolutionKernel.Direct].Zip(results[ConvolutionKernel.OneDnnChannelsLast],
                (a, b) => a.sub(b).abs().max().item<float>() / (double)b.abs().max().item<float>()).Max();
            double Median(ConvolutionKernel k, bool backward) => Stats.Median(backward ? times[k].Backward : times[k].Forward);
            double oneDnn = Median(ConvolutionKernel.OneDnnChannelsLast, false) + Median(ConvolutionKernel.OneDnnChannelsLast, true);
            double own = Median(ConvolutionKernel.Direct, false) + Median(ConvolutionKernel.Direct, true);
            double gflop = 3 * 2.0 * options.BatchSize * size * size * channels * channels * 9 / 1e9;
            Console.WriteLine($"{$"{channels} ch {size}x{size}",-16} {Median(ConvolutionKernel.OneDnnChannelsLast, false),14:F2} " +
                              $"{Median(ConvolutionKernel.Direct, false),11:F2} {Median(ConvolutionKernel.OneDnnChannelsLast, true),14:F2} " +
                              $"{Median(ConvolutionKernel.Direct, true),11:F2} {gflop / own * 1000,12:F0} {oneDnn / own,11:F2} {difference,11:E1}");
        }
    }
}
