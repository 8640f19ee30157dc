using System.Buffers;
using System.Runtime.Intrinsics;
using TorchSharp;

namespace Distill.Learning.Platform;

/// <summary>
/// Loops over the rows of a rows x channels tensor in fixed chunks (<see cref="BatchNormReluKernels.RowsPerChunk"/>)
/// on LibTorch's OpenMP team. A reducing loop writes two per-channel sums per chunk, which are then added in chunk
/// order: the total is the same whatever the thread count and whichever thread ran a chunk.
/// </summary>
internal static unsafe class ChunkSums
{
    /// <summary>One pass over the rows; override <see cref="Sum"/> for a reduction, <see cref="Elementwise"/> otherwise.</summary>
    public abstract class Loop(long rows, long channels)
    {
        public long Rows { get; } = rows;
        public long Channels { get; } = channels;
        public long RowsPerChunk { get; } = BatchNormReluKernels.RowsPerChunk(channels);
        public int Chunks => (int)((Rows + RowsPerChunk - 1) / RowsPerChunk);

        /// <summary>Two per-channel sums over rows [first, end).</summary>
        public virtual void Sum(long first, long end, double* sum, double* second) => throw new NotSupportedException();

        /// <summary>The loop's work on rows [first, end).</summary>
        public virtual void Elementwise(long first, long end) => throw new NotSupportedException();
    }

    /// <summary>Both per-channel sums over all rows.</summary>
    public static (double[] First, double[] Second) Run(Loop loop)
    {
        int chunks = loop.Chunks;
        long channels = loop.Channels;
        int length = checked((int)(chunks * channels));
        var firstParts = ArrayPool<double>.Shared.Rent(length);
        var secondParts = ArrayPool<double>.Shared.Rent(length);
        try
        {
            var first = new double[channels];
            var second = new double[channels];
            fixed (double* f = firstParts, s = secondParts, intoFirst = first, intoSecond = second)
            {
                OpenMpTeam.For(chunks, torch.get_num_threads(), new Reduction(loop, f, s));
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    AddInto(intoFirst, f + chunk * channels, channels);
                    AddInto(intoSecond, s + chunk * channels, channels);
                }
            }
            return (first, second);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(firstParts);
            ArrayPool<double>.Shared.Return(secondParts);
        }
    }

    /// <summary>total[c] += part[c]: each channel's sum one chunk at a time in chunk order, several channels per vector.</summary>
    private static void AddInto(double* total, double* part, long channels)
    {
        long c = 0;
        for (; c + Vector256<double>.Count <= channels; c += Vector256<double>.Count)
            (Vector256.Load(total + c) + Vector256.Load(part + c)).Store(total + c);
        for (; c < channels; c++) total[c] += part[c];
    }

    public static void RunElementwise(Loop loop) => OpenMpTeam.For(loop.Chunks, torch.get_num_threads(), new Elementwise(loop));

    private static (long First, long End) RowsOf(Loop loop, int chunk)
    {
        long first = chunk * loop.RowsPerChunk;
        return (first, Math.Min(loop.Rows, first + loop.RowsPerChunk));
    }

    private sealed class Reduction(Loop loop, double* first, double* second) : IChunkBody
    {
        public void Run(int chunk)
        {
            var (from, end) = RowsOf(loop, chunk);
            loop.Sum(from, end, first + chunk * loop.Channels, second + chunk * loop.Channels);
        }
    }

    private sealed class Elementwise(Loop loop) : IChunkBody
    {
        public void Run(int chunk)
        {
            var (from, end) = RowsOf(loop, chunk);
            loop.Elementwise(from, end);
        }
    }
}
