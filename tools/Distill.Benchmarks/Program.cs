using System.Diagnostics;
using Distill.Benchmarks;

// Prints training throughput and peak memory of the paper's two networks. Usage:
//   dotnet run -c Release --project tools/Distill.Benchmarks -- [training] [versus-pytorch [--rounds N] [--python PATH] [--against default,channels-last,channels-last-bf16]] [--precision fp32|bf16|both (training, versus-pytorch)] [--batchnorm fused|libtorch] [bf16-accuracy [--epochs N]] [layers] [batchnorm-relu] [convolutions] [winograd-bf16] [weight-gradient] [kernels] [distillation] [cache-read] [memory] [parallel] [coordination --connection CS] [--steps N] [--warmup N] [--threads N] [--batch-size N] [--epochs N (memory)] [--width N (memory)]
Distill.Learning.Training.NativeMemoryTuning.Apply();
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or IndexOutOfRangeException)
{
    Console.Error.WriteLine($"distill benchmarks: {(e is IndexOutOfRangeException ? $"{args[^1]} needs a value" : e.Message)}");
    return 2;
}
Distill.Learning.Platform.BatchNormRelu.Enabled = options.FusedBatchNorm;
Console.WriteLine($"# Distill benchmarks  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores");
foreach (var suite in options.Suites)
{
    var watch = Stopwatch.StartNew();
    switch (suite)
    {
        case "training":
            TrainingThroughput.Run(options);
            break;
        case "versus-pytorch":
            VersusPyTorch.Run(options);
            break;
        case "bf16-accuracy":
            Bf16Accuracy.Run(options);
            break;
        case "distillation":
            DistillationThroughput.Run(options);
            break;
        case "memory":
            MemorySoak.Run(options);
            break;
        case "layers":
            LayerProfile.Run(options);
            break;
        case "batchnorm-relu":
            BatchNormReluTiming.Run(options);
            break;
        case "convolutions":
            ConvolutionTiming.Run(options);
            break;
        case "weight-gradient":
            WeightGradientTiming.Run(options);
            break;
        case "winograd-bf16":
            WinogradBf16Timing.Run(options);
            break;
        case "kernels":
            KernelComparison.Run(options);
            break;
        case "cache-read":
            CacheReadBandwidth.Run(options);
            break;
        case "parallel":
            ParallelStages.Run(options);
            break;
        case "coordination":
            Coordination.Run(options);
            break;
        default:
            Console.Error.WriteLine($"unknown suite '{suite}' (available: training, versus-pytorch, bf16-accuracy, layers, batchnorm-relu, convolutions, winograd-bf16, kernels, distillation, cache-read, memory, parallel, coordination)");
            return 2;
    }
    Console.WriteLine($"# {suite}: {watch.Elapsed.TotalSeconds:F0} s");
}
return 0;
