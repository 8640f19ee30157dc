using Distill.Learning.Platform;

namespace Distill.Benchmarks;

/// <param name="Model">Only this network in the training and versus-pytorch suites (--model resnet56|alexnet); null runs both.</param>
/// <param name="FusedBatchNorm">False with --batchnorm libtorch: batch norm, add and ReLU on LibTorch's kernels instead of Distill's fused ones (the A/B of that lever).</param>
/// <param name="Precisions">Distill's precisions for the training and versus-pytorch suites (--precision fp32|bf16|both; PyTorch stays fp32).</param>
/// <param name="Against">PyTorch's configurations in versus-pytorch (--against, a comma-separated list); null runs all three.</param>
internal sealed record BenchmarkOptions(IReadOnlyList<string> Suites, int Steps, int Warmup, int Threads, int BatchSize, int Epochs, int Width,
    int Images = 600, int Repeats = 3, string? Connection = null, string? Python = null, IReadOnlyList<Precision>? Precisions = null, string? Model = null,
    bool FusedBatchNorm = true, IReadOnlyList<string>? Against = null)
{
    public IReadOnlyList<Precision> DistillPrecisions => Precisions ?? [Precision.Fp32];

    public static BenchmarkOptions Parse(string[] args)
    {
        var suites = new List<string>();
        int steps = 10, warmup = 3, threads = 0, batch = 128, epochs = 10, width = 16, images = 600, repeats = 3;
        string? connection = null, python = null, model = null;
        IReadOnlyList<Precision>? precisions = null;
        IReadOnlyList<string>? against = null;
        bool fused = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = int.Parse(args[++i]); break;
                case "--warmup": warmup = int.Parse(args[++i]); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--batch-size": batch = int.Parse(args[++i]); break;
                case "--epochs": epochs = int.Parse(args[++i]); break;
                case "--width": width = int.Parse(args[++i]); break;
                case "--images": images = int.Parse(args[++i]); break;
                case "--repeats" or "--rounds": repeats = int.Parse(args[++i]); break;
                case "--connection": connection = args[++i]; break;
                case "--python": python = args[++i]; break;
                case "--model": model = args[++i]; break;
                case "--against": against = VersusPyTorch.ParseConfigs(args[++i]); break;
                case "--batchnorm": fused = args[++i] switch
                {
                    "fused" => true,
                    "libtorch" => false,
                    var other => throw new ArgumentException($"--batchnorm {other}: expected fused or libtorch"),
                }; break;
                case "--precision": precisions = args[++i] switch
                {
                    "fp32" => [Precision.Fp32],
                    "bf16" => [Precision.Bf16],
                    "both" => [Precision.Fp32, Precision.Bf16],
                    var other => throw new ArgumentException($"--precision {other}: expected fp32, bf16 or both"),
                }; break;
                default: suites.Add(args[i]); break;
            }
        }
        return new BenchmarkOptions(suites.Count == 0 ? ["training"] : suites, steps, warmup, threads, batch, epochs, width, images, repeats, connection, python, precisions, model, fused,
            against);
    }
}
