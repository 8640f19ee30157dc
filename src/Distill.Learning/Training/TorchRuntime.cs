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

    private static readonly Lazy<int> LibraryDefaultThreads = new(get_num_threads);

    /// <summary>
    /// The intra-op thread count a setting means here: the setting itself, or for 0 the library's default (the
    /// machine's cores), read before anything changes it. Results depend on it (reductions split their work by
    /// thread), so the engine puts it in every stage key.
    /// </summary>
    public static int EffectiveThreads(int setting) => setting > 0 ? setting : LibraryDefaultThreads.Value;

    /// <summary>Sets LibTorch's intra-op thread count (0 leaves the library default).</summary>
    public static void SetThreads(int threads)
    {
        _ = LibraryDefaultThreads.Value;
        if (threads > 0) set_num_threads(threads);
    }

    /// <summary>Seeds LibTorch's generator (weight initialisation) from a stage's seed.</summary>
    public static void Seed(long seed) => manual_seed(seed);
}
