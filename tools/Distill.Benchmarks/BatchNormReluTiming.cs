using System.Diagnostics;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>
/// Batch norm + ReLU, and batch norm + residual add + ReLU, as a ResNet-56 step runs them (batch 128, channels-last
/// float32, or bfloat16 activations with --precision bf16|both; 16 channels at 32x32, 32 at 16x16, 64 at 8x8):
/// LibTorch's kernels against Distill's fused ones
/// (<see cref="BatchNormRelu"/>), alternated in rounds in one process. Prints the medians of the training forward
/// pass, its backward pass and the evaluation forward pass, the ratios, the per-step totals (ResNet-56 runs 28 pairs
/// and 27 triples) and the largest difference between the two outputs.
/// </summary>
internal static class BatchNormReluTiming
{
    private static readonly (long Channels, long Size, int Pairs, int Triples)[] Shapes = [(16, 32, 10, 9), (32, 16, 9, 9), (64, 8, 9, 9)];

    public static void Run(BenchmarkOptions options)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        foreach (var precision in options.DistillPrecisions)
        {
            if (PrecisionSupport.Unavailable(precision) is { } missing) Console.WriteLine($"({precision.Name()}: {missing})");
            else Run(options, precision.ActivationType());
        }
    }

    private static void Run(BenchmarkOptions options, ScalarType type)
    {
        int repeats = Math.Max(options.Steps, 5), rounds = Math.Max(options.Repeats, 1);
        Console.WriteLine($"batch norm + ReLU, batch {options.BatchSize}, channels-last {type.ToString().ToLowerInvariant()}, {get_num_threads()} threads, {rounds} rounds of " +
                          $"{repeats} after {options.Warmup} warm-up, alternated; on LibTorch's threads: {BatchNormRelu.UsesLibTorchThreads}");
        Console.WriteLine($"{"shape",-10} {"op",-13} {"LibTorch fwd / bwd / eval ms",30} {"fused fwd / bwd / eval ms",27} {"fwd+bwd",8} {"max |diff|",11}");
        double libTorchStep = 0, fusedStep = 0;
        foreach (var (channels, size, pairs, triples) in Shapes)
        foreach (bool residual in (bool[])[false, true])
        {
            using var scope = NewDisposeScope();
            Tensor ChannelsLast() => randn(options.BatchSize, size, size, channels).to(type).permute(0, 3, 1, 2);
            var x = ChannelsLast().requires_grad_();
            var r = residual ? ChannelsLast().requires_grad_() : null;
            var gradient = ChannelsLast();
            using var norm = nn.BatchNorm2d(channels);
            var sides = new Times[2];
            for (int side = 0; side < 2; side++) sides[side] = new Times();
            for (int round = 0; round < rounds; round++)
            foreach (int side in round % 2 == 0 ? (int[])[0, 1] : [1, 0])
                Time(norm, x, r, gradient, fused: side == 1, options.Warmup, repeats, sides[side]);
            var (libTorch, fused) = (sides[0].Medians(), sides[1].Medians());
            int count = residual ? triples : pairs;
            libTorchStep += count * (libTorch.Forward + libTorch.Backward);
            fusedStep += count * (fused.Forward + fused.Backward);
            Console.WriteLine($"{$"{channels}x{size}x{size}",-10} {(residual ? "bn+add+relu" : "bn+relu"),-13} " +
                              $"{$"{libTorch.Forward:F2} / {libTorch.Backward:F2} / {libTorch.Evaluation:F2}",30} " +
                              $"{$"{fused.Forward:F2} / {fused.Backward:F2} / {fused.Evaluation:F2}",27} " +
                              $"{(libTorch.Forward + libTorch.Backward) / (fused.Forward + fused.Backward),7:F2}x {Difference(norm, x, r),11:E1}");
        }
        Console.WriteLine($"per ResNet-56 training step: LibTorch {libTorchStep:F1} ms, fused {fusedStep:F1} ms, saves {libTorchStep - fusedStep:F1} ms");
    }

    private sealed class Times
    {
        public List<double> Forward { get; } = [];
        public List<double> Backward { get; } = [];
        public List<double> Evaluation { get; } = [];
        public (double Forward, double Backward, double Evaluation) Medians() => (Stats.Median(Forward), Stats.Median(Backward), Stats.Median(Evaluation));
    }

    private static void Time(BatchNorm2d norm, Tensor x, Tensor? residual, Tensor gradient, bool fused, int warmup, int repeats, Times times)
    {
        BatchNormRelu.Enabled = fused;
        try
        {
            for (int i = 0; i < warmup + repeats; i++)
            {
                using var scope = NewDisposeScope();
                norm.train();
                var watch = Stopwatch.StartNew();
                // The unfused add and ReLU run in place, as the models ran them: on a copy of the residual here, which
                // stands for the batch-norm output the models added to.
                var y = BatchNormRelu.Apply(norm, x, residual);
                double forward = watch.Elapsed.TotalMilliseconds;
                y.backward([gradient]);
                double backward = watch.Elapsed.TotalMilliseconds - forward;
                norm.eval();
                using (no_grad())
                {
                    watch.Restart();
                    BatchNormRelu.Apply(norm, x, residual);
                }
                if (i < warmup) continue;
                times.Forward.Add(forward);
                times.Backward.Add(backward);
                times.Evaluation.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        finally
        {
            BatchNormRelu.Enabled = true;
            norm.train();
        }
    }

    private static double Difference(BatchNorm2d norm, Tensor x, Tensor? residual)
    {
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        norm.eval();
        BatchNormRelu.Enabled = false;
        var reference = BatchNormRelu.Apply(norm, x, residual);
        BatchNormRelu.Enabled = true;
        var fused = BatchNormRelu.Apply(norm, x, residual);
        norm.train();
        return (reference - fused).abs().max().to(ScalarType.Float32).item<float>();
    }
}
