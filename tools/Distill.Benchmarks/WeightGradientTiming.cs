using System.Diagnostics;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// The weight gradient of a bf16 ResNet-56 3x3 layer alone: oneDNN's bfloat16 kernel (what precision bf16 runs) against
/// Distill's own float32 Winograd kernels on the same values widened to float32.
/// </summary>
internal static class WeightGradientTiming
{
    private static readonly (int Channels, int Size)[] Shapes = [(16, 32), (32, 16), (64, 8)];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        int repeats = Math.Max(options.Steps, 10);
        Console.WriteLine($"3x3 weight gradients alone, batch {options.BatchSize}, {get_num_threads()} threads, median of {repeats}; {CpuIsa.Description}");
        foreach (var (channels, size) in Shapes)
        {
            using var scope = NewDisposeScope();
            var config = new ConvolutionConfig(channels, channels, 3, 1, 1, InputGradient: false);
            var x = randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2);
            var x16 = x.to(ScalarType.BFloat16);
            var x32 = x16.to(ScalarType.Float32);
            var weight = randn(channels, channels, 3, 3).div_(Math.Sqrt(channels * 9)).requires_grad_();
            var g = randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2);
            var g16 = g.to(ScalarType.BFloat16);
            var g32 = g16.to(ScalarType.Float32);
            var onednn = new List<double>();
            var own = new List<double>();
            Tensor? a = null, b = null;
            for (int pass = 0; pass < options.Warmup + repeats; pass++)
            {
                using var step = NewDisposeScope();
                var y16 = RoutedConvolution.Apply(x16, weight, null, config with { Precision = Precision.Bf16 }, ConvolutionKernel.OneDnnChannelsLast);
                var watch = Stopwatch.StartNew();
                var d16 = autograd.grad([y16], [weight], [g16])[0];
                double t16 = watch.Elapsed.TotalMilliseconds;
                var y32 = RoutedConvolution.Apply(x32, weight, null, config, ConvolutionKernel.Direct);
                watch.Restart();
                var d32 = autograd.grad([y32], [weight], [g32])[0];
                double t32 = watch.Elapsed.TotalMilliseconds;
                if (pass >= options.Warmup) { onednn.Add(t16); own.Add(t32); }
                a = d16.detach().MoveToOuterDisposeScope();
                b = d32.detach().MoveToOuterDisposeScope();
            }
            using var reference = nn.functional.conv2d(x32.to(ScalarType.Float64), weight.detach().to(ScalarType.Float64), padding: [1, 1]);
            double flops = 2.0 * options.BatchSize * size * size * channels * channels * 9;
            double m16 = Stats.Median(onednn), m32 = Stats.Median(own);
            double diff = (a! - b!).abs().max().item<float>() / b!.abs().max().item<float>();
            Console.WriteLine($"{channels} ch {size}x{size}: oneDNN bf16 {m16:F2} ms ({flops / m16 / 1e6:F0} GFLOP/s), own fp32 {m32:F2} ms ({flops / m32 / 1e6:F0}), " +
                              $"own/oneDNN {m16 / m32:F2}x, difference {diff:E1}");
        }
    }
}
