using System.Diagnostics;
using System.Runtime.InteropServices;
using Distill.Runs;

namespace Distill.Benchmarks;

/// <summary>
/// Reads a 50,000 x 100 float32 logit cache (20 MB) the way a student does: shuffled batches of 128
/// rows gathered from the memory-mapped file. "Cold" evicts the file from the page cache first
/// (posix_fadvise DONTNEED); "warm" reads it again.
/// </summary>
internal static class CacheReadBandwidth
{
    public static void Run(BenchmarkOptions options)
    {
        const int rows = 50_000, columns = 100, batch = 128;
        var path = Path.Combine(Path.GetTempPath(), $"distill-cache-bench-{Environment.ProcessId}.npy");
        var values = new float[(long)rows * columns];
        new Random(1).NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) values[i] = 0;
        NpyWriter.Write(path, values, rows, columns);
        var order = Enumerable.Range(0, rows).Select(i => (long)i).OrderBy(_ => Random.Shared.Next()).ToArray();
        double bytes = (double)rows * columns * sizeof(float);
        Console.WriteLine($"logit cache read: {rows} x {columns} float32 ({bytes / 1e6:F0} MB), shuffled gathers of {batch} rows, median of 5");
        try
        {
            foreach (var cold in new[] { true, false })
            {
                var seconds = new List<double>();
                for (int r = 0; r < 5; r++)
                {
                    if (cold) Evict(path);
                    using var file = NpyFile.Open(path);
                    var destination = new float[batch * columns];
                    var watch = Stopwatch.StartNew();
                    for (int start = 0; start < rows; start += batch)
                    {
                        int count = Math.Min(batch, rows - start);
                        file.GatherRows(order.AsSpan(start, count), destination.AsSpan(0, count * columns));
                    }
                    seconds.Add(watch.Elapsed.TotalSeconds);
                }
                double median = Stats.Median(seconds);
                Console.WriteLine($"{(cold ? "cold" : "warm"),-5} {bytes / median / 1e9,8:F2} GB/s  ({median * 1000:F1} ms per pass)");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Evict(string path)
    {
        using var handle = File.OpenHandle(path);
        posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadviseDontNeed);
    }

    private const int PosixFadviseDontNeed = 4;

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(int fd, long offset, long length, int advice);
}
