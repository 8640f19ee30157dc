using System.Diagnostics;
using System.Globalization;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Would Winograd's minimal filtering with bf16 products beat oneDNN's bf16 3x3 convolutions, which are most of a
/// bf16 ResNet-56 step and the same kernels PyTorch's autocast calls? The forward pass of one layer at ResNet-56's
/// three shapes: oneDNN's (channels-last bf16, as <see cref="RoutedConvolution"/> runs it) in this process, and the
/// C probe Native/winograd-bf16-probe.c built for F(2x2, 3x3) and F(4x4, 3x3) (VDPBF16PS products, float32
/// transforms) in its own, on as many OpenMP threads; each with its largest difference from float64 relative to the
/// largest value, against the 2^-6 the bf16 self-check allows a convolution.
/// </summary>
internal static class WinogradBf16Timing
{
    private static readonly (int Channels, int Size)[] Shapes = [(16, 32), (32, 16), (64, 8)];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        int threads = get_num_threads(), repeats = Math.Max(options.Steps, 10);
        Console.WriteLine($"3x3 forward pass in bf16, batch {options.BatchSize}, {threads} threads, median of {repeats}; {CpuIsa.Description}");
        if (CpuIsa.Bf16Unavailable is { } missing)
        {
            Console.WriteLine($"(skipped: {missing})");
            return;
        }
        using var f2 = NativeProbe.Compile("winograd-bf16-probe.c", "-O3", "-march=native", "-fopenmp", "-DTILE=2");
        using var f4 = NativeProbe.Compile("winograd-bf16-probe.c", "-O3", "-march=native", "-fopenmp", "-DTILE=4");
        if (f2 is null || f4 is null)
        {
            Console.WriteLine("(skipped: no C compiler with AVX512_BF16 intrinsics; tools/setup.sh installs gcc)");
            return;
        }
        Console.WriteLine($"{"shape",-14} {"oneDNN ms",10} {"error",9} {"F(2x2) ms",10} {"error",9} {"speed-up",9} {"F(4x4) ms",10} {"error",9} {"speed-up",9}");
        var environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
        foreach (var (channels, size) in Shapes)
        {
            var (oneDnnMs, oneDnnError) = OneDnnForward(options, channels, size, repeats);
            string[] arguments = [.. new[] { options.BatchSize, size, channels, repeats }.Select(v => v.ToString(CultureInfo.InvariantCulture))];
            var figuresF2 = f2.Figures(environment, arguments);
            var figuresF4 = f4.Figures(environment, arguments);
            string Column(IReadOnlyDictionary<string, double>? figures) => figures is null
                ? $"{"failed",10} {"",9} {"",9}"
                : $"{figures["time"],10:F2} {figures["error"],9:E1} {oneDnnMs / figures["time"],8:F2}x";
            Console.WriteLine($"{$"{channels} ch {size}x{size}",-14} {oneDnnMs,10:F2} {oneDnnError,9:E1} {Column(figuresF2)} {Column(figuresF4)}");
        }
        Console.WriteLine($"(the bf16 self-check allows {ConvolutionCheck.Bf16Tolerance:E1}; errors: largest difference from float64 / largest value)");
    }

    /// <summary>oneDNN's bf16 forward pass of one layer: median milliseconds, and its error on two images.</summary>
    private static (double Milliseconds, double Error) OneDnnForward(BenchmarkOptions options, int channels, int size, int repeats)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = new ConvolutionConfig(channels, channels, 3, 1, 1, InputGradient: false, Precision.Bf16);
        var x = rand(options.BatchSize, size, size, channels).mul_(2).sub_(1).to(ScalarType.BFloat16).permute(0, 3, 1, 2);
        var weight = rand(channels, channels, 3, 3).mul_(2).sub_(1).div_(Math.Sqrt(channels * 9)).to(ScalarType.BFloat16).to(ScalarType.Float32);
        var times = new List<double>();
        Tensor? output = null;
        for (int pass = 0; pass < options.Warmup + repeats; pass++)
        {
            output?.Dispose();
            var watch = Stopwatch.StartNew();
            output = RoutedConvolution.Apply(x, weight, null, config, ConvolutionKernel.OneDnnChannelsLast);
            if (pass >= options.Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        // The float64 sums as a product with the unfolded patches: LibTorch's float64 convolution would try NNPACK
        // and warn on this CPU.
        var patches = nn.functional.unfold(x.narrow(0, 0, 2).to(ScalarType.Float64), 3, padding: 1);
        var exact = weight.to(ScalarType.Float64).view(channels, -1).matmul(patches);
        var got = output!.narrow(0, 0, 2).to(ScalarType.Float64).reshape(2, channels, -1);
        double error = got.sub(exact).abs().max().item<double>() / exact.abs().max().item<double>();
        return (Stats.Median(times), error);
    }
}
