using Distill.Learning.Platform;

namespace Distill.Learning.Tests.Platform;

public class OpenMpTeamTests
{
    /// <summary>Counts how often each chunk ran.</summary>
    private sealed class Counting(int chunks, int delayedChunk = -1) : IChunkBody
    {
        public readonly int[] Runs = new int[chunks];

        public void Run(int chunk)
        {
            Interlocked.Increment(ref Runs[chunk]);
            // A slow chunk in the first block, whose owner is held back by it.
            if (chunk == delayedChunk) Thread.Sleep(50);
        }
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(257, 2)]
    [InlineData(1000, 3)]
    [InlineData(5, 1)]
    public void Runs_every_chunk_exactly_once(int chunks, int threads)
    {
        var body = new Counting(chunks);
        OpenMpTeam.For(chunks, threads, body);
        Assert.All(body.Runs, runs => Assert.Equal(1, runs));
    }

    [Fact]
    public void A_slow_chunk_leaves_every_other_chunk_run_exactly_once()
    {
        // How many threads share the loop is up to libgomp and to the tests running beside this one; which chunks run
        // is not: with the first block held back, the rest of it is taken over or run later, never twice or not at all.
        var body = new Counting(64, delayedChunk: 0);
        OpenMpTeam.For(64, 2, body);
        Assert.All(body.Runs, runs => Assert.Equal(1, runs));
    }

    [Fact]
    public void A_failing_chunk_fails_the_loop_and_stops_the_rest()
    {
        if (!OpenMpTeam.IsAvailable) return; // on the calling thread the exception arrives unwrapped
        var ran = 0;
        var failing = new Failing(() => Interlocked.Increment(ref ran));
        var error = Assert.Throws<InvalidOperationException>(() => OpenMpTeam.For(10_000, 2, failing));
        Assert.IsType<ArithmeticException>(error.InnerException);
        Assert.True(ran < 10_000);
    }

    private sealed class Failing(Action onRun) : IChunkBody
    {
        public void Run(int chunk)
        {
            onRun();
            if (chunk == 3) throw new ArithmeticException("chunk 3");
            Thread.SpinWait(200);
        }
    }
}
