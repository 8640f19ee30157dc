using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>Process-wide LibTorch settings: device choice, thread count, seeding.</summary>
public static class TorchRuntime
{
    /// <summary>"auto" picks CUDA when LibTorch sees a GPU, else the CPU.</summary>
    public static Device ResolveDevice(string setting) => setting switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new InvalidOperationException(
            "device 'cuda' was asked for but LibTorch sees no CUDA device (is this a CUDA build? see README, 'GPU build')"),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new ArgumentException($"unknown device '{setting}' (expected auto, cpu or cuda)"),
    };

    /// <summary>Sets LibTorch's intra-op thread count (0 leaves the library default).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) set_num_threads(threads);
    }

    /// <summary>Seeds LibTorch's generator (weight initialisation) from a stage's seed.</summary>
    public static void Seed(long seed) => manual_seed(seed);
}
