using System.Runtime.InteropServices;

namespace Distill.Learning.Platform;

/// <summary>
/// Runs a loop over chunks on LibTorch's own OpenMP threads. A kernel of ours that ran on .NET threads instead
/// would compete for the cores with LibTorch's OpenMP workers, which spin for a while after each of LibTorch's
/// parallel loops; handed to the same libgomp (the copy LibTorch loaded, found by name among the process's
/// mappings), our loop runs on the team that is already spinning. Chunks are claimed from a shared counter, so
/// which thread runs a chunk varies; callers that reduce write one result per chunk and sum them in chunk order,
/// which makes the result the same for every thread count. Without LibTorch's libgomp (Windows, macOS, another
/// OpenMP runtime) the chunks run on the calling thread.
/// </summary>
internal static unsafe class OpenMpTeam
{
    private static readonly delegate* unmanaged<delegate* unmanaged<IntPtr, void>, IntPtr, uint, uint, void> Parallel = FindParallel();

    /// <summary>Whether loops run on LibTorch's OpenMP team (false: on the calling thread).</summary>
    public static bool IsAvailable => Parallel != null;

    /// <summary>Runs <paramref name="body"/> once for each chunk 0..<paramref name="chunks"/>-1, on up to <paramref name="threads"/> threads.</summary>
    public static void For(int chunks, int threads, IChunkBody body)
    {
        if (chunks <= 0) return;
        if (Parallel == null || threads <= 1 || chunks == 1)
        {
            for (int i = 0; i < chunks; i++) body.Run(i);
            return;
        }
        var job = new Job(body, chunks);
        var handle = GCHandle.Alloc(job);
        try
        {
            Parallel(&RunJob, GCHandle.ToIntPtr(handle), (uint)Math.Min(threads, chunks), 0);
        }
        finally
        {
            handle.Free();
        }
        if (job.Failure is { } failure) throw new InvalidOperationException("a parallel kernel failed", failure);
    }

    [UnmanagedCallersOnly]
    private static void RunJob(IntPtr data)
    {
        var job = (Job)GCHandle.FromIntPtr(data).Target!;
        try
        {
            for (int i = Interlocked.Increment(ref job.Next) - 1; i < job.Chunks; i = Interlocked.Increment(ref job.Next) - 1)
                job.Body.Run(i);
        }
        catch (Exception e)
        {
            // An exception must not cross into libgomp; the caller rethrows it.
            job.Failure ??= e;
            job.Next = job.Chunks;
        }
    }

    private sealed class Job(IChunkBody body, int chunks)
    {
        public readonly IChunkBody Body = body;
        public readonly int Chunks = chunks;
        public int Next;
        public Exception? Failure;
    }

    private static delegate* unmanaged<delegate* unmanaged<IntPtr, void>, IntPtr, uint, uint, void> FindParallel()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            // Loading TorchSharp's native library loads LibTorch and its libgomp.
            TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/') is var slash and >= 0 ? line[slash..] : null)
                .OfType<string>().Distinct().ToList();
            var torchFolders = mapped.Where(p => Path.GetFileName(p) == "libtorch_cpu.so").Select(Path.GetDirectoryName).ToHashSet();
            // LibTorch's own copy first: another libgomp in the process would be another team.
            foreach (var path in mapped.Where(p => Path.GetFileName(p).StartsWith("libgomp", StringComparison.Ordinal))
                         .OrderBy(p => torchFolders.Contains(Path.GetDirectoryName(p)) ? 0 : 1))
            {
                if (NativeLibrary.TryLoad(path, out var library) && NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel))
                    return (delegate* unmanaged<delegate* unmanaged<IntPtr, void>, IntPtr, uint, uint, void>)parallel;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}

/// <summary>One chunk of a parallel loop (<see cref="OpenMpTeam.For"/>).</summary>
internal interface IChunkBody
{
    void Run(int chunk);
}
