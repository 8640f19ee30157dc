using System.Diagnostics;
using System.Text.Json;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Where a ResNet-56 training step goes, layer type by layer type: each of its layers (3x3 convolution, batch norm,
/// ReLU, residual add) timed alone, forward and backward, at each stage's activation shape (batch 128; 16 channels
/// at 32x32, 32 at 16x16, 64 at 8x8), then weighted by how often a step runs it (per stage 18 convolutions, 18
/// batch norms, 18 ReLUs, 9 adds). Distill's layers run as its models run them (channels-last, routed
/// convolutions, in each --precision); PyTorch's as Debian's PyTorch runs them by default (NCHW, float32), by
/// tools/pytorch-reference/bench_layers.py in one process after Distill's, when python3-torch is present.
/// </summary>
internal static class LayerProfile
{
    private static readonly (long Channels, long Size)[] Stages = [(16, 32), (32, 16), (64, 8)];
    private static readonly (string Layer, int PerStage)[] Layers = [("conv3x3", 18), ("batchnorm", 18), ("relu", 18), ("add", 9)];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        int repeats = Math.Max(options.Steps, 5);
        Console.WriteLine($"layers of a ResNet-56 step alone, forward + backward, batch {options.BatchSize}, {get_num_threads()} threads, " +
                          $"median of {repeats} after {options.Warmup} warm-up; {CpuIsa.Description}");
        var sides = options.DistillPrecisions.Select(p => ($"Distill {p.Name()}", Measure(p, options, repeats))).ToList();
        var steps = options.DistillPrecisions.Select(p => Stats.Median(
            TrainingThroughput.Measure(TrainingThroughput.Models[0].Create, options, p).Steps.Select(s => s.Total).ToList())).ToList();
        if (VersusPyTorch.FindPython(options.Python) is { } python && VersusPyTorch.ReferenceScript("bench_layers.py") is { } script
            && VersusPyTorch.ReferenceScript() is { } stepScript)
        {
            sides.Add(($"PyTorch {python.Version} fp32", RunReference(python.Path, script, options, repeats)));
            steps.Add(options.BatchSize * 1000 / VersusPyTorch.RunReference(python.Path, stepScript, "resnet56", "default", get_num_threads(), options).ImagesPerSecond);
        }
        else
            Console.WriteLine("(no python with torch, or no tools/pytorch-reference/bench_layers.py: Distill only)");

        Console.WriteLine($"{"layer",-10} {"shape",-10} {"per step",8} " + string.Join(" ", sides.Select(s => $"{s.Item1 + " ms",22}")));
        foreach (var (layer, perStage) in Layers)
        foreach (var (channels, size) in Stages)
        {
            string key = Key(layer, channels, size);
            Console.WriteLine($"{layer,-10} {$"{channels}x{size}x{size}",-10} {perStage,8} " + string.Join(" ", sides.Select(s => $"{s.Item2[key],22:F2}")));
        }
        foreach (var (layer, perStage) in Layers)
            Console.WriteLine($"{layer + " x step",-30} " + string.Join(" ", sides.Select(s => $"{Stages.Sum(st => perStage * s.Item2[Key(layer, st.Channels, st.Size)]),22:F1}")));
        var sums = sides.Select(s => Stages.Sum(st => Layers.Sum(l => l.PerStage * s.Item2[Key(l.Layer, st.Channels, st.Size)]))).ToList();
        Console.WriteLine($"{"sum x step",-30} " + string.Join(" ", sums.Select(v => $"{v,22:F1}")));
        // The same sitting's whole training step (ResNet-56, median of --steps): what the layers alone do not explain.
        Console.WriteLine($"{"whole step",-30} " + string.Join(" ", steps.Select(v => $"{v,22:F1}")));
        Console.WriteLine($"{"whole step - sum",-30} " + string.Join(" ", steps.Zip(sums, (a, b) => $"{a - b,22:F1}")));
    }

    private static string Key(string layer, long channels, long size) => $"{layer}/{channels}/{size}";

    private static Dictionary<string, double> Measure(Precision precision, BenchmarkOptions options, int repeats)
    {
        PrecisionSupport.EnsureSupported(precision);
        var times = new Dictionary<string, double>();
        var activation = precision.ActivationType();
        foreach (var (channels, size) in Stages)
        {
            using var scope = NewDisposeScope();
            // Channels-last, as Distill's routed convolutions leave activations.
            Tensor Activation() => randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2).to(activation).requires_grad_();
            var x = Activation();
            var other = Activation();
            var gradient = randn(options.BatchSize, size, size, channels).permute(0, 3, 1, 2).to(activation);
            var weight = randn(channels, channels, 3, 3).div_(Math.Sqrt(channels * 9)).requires_grad_();
            var (gamma, beta) = (ones(channels).requires_grad_(), zeros(channels).requires_grad_());
            var (mean, variance) = (zeros(channels), ones(channels));
            times[Key("conv3x3", channels, size)] = Time(() => RoutedConvolution.Apply(x, weight, null, 1, 1, precision), gradient, options.Warmup, repeats);
            times[Key("batchnorm", channels, size)] = Time(() => nn.functional.batch_norm(x, mean, variance, gamma, beta, training: true), gradient, options.Warmup, repeats);
            times[Key("relu", channels, size)] = Time(() => nn.functional.relu(x), gradient, options.Warmup, repeats);
            times[Key("add", channels, size)] = Time(() => x.add(other), gradient, options.Warmup, repeats);
        }
        return times;
    }

    /// <summary>Median milliseconds of one forward and its backward (gradients of every input that wants one).</summary>
    private static double Time(Func<Tensor> forward, Tensor gradient, int warmup, int repeats)
    {
        var samples = new List<double>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var output = forward();
            output.backward([gradient.to(output.dtype)]);
            if (i >= warmup) samples.Add(watch.Elapsed.TotalMilliseconds);
        }
        return Stats.Median(samples);
    }

    private static Dictionary<string, double> RunReference(string python, string script, BenchmarkOptions options, int repeats) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(VersusPyTorch.RunScript(python, script,
            "--threads", $"{get_num_threads()}", "--repeats", $"{repeats}",
            "--warmup", $"{options.Warmup}", "--batch-size", $"{options.BatchSize}"))!;
}
