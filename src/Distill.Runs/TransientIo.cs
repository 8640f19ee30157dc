using Polly;
using Polly.Retry;

namespace Distill.Runs;

/// <summary>
/// Retries one file operation of the run store on a transient fault (a flaky network mount, a file briefly held by
/// another process), at the call it protects: a stage is never re-entered because a write failed. Not retried:
/// malformed files, held locks, missing files, and faults waiting cannot fix (<see cref="IoFaults.IsPermanent"/>).
/// </summary>
public static class TransientIo
{
    private static readonly ResiliencePipeline Retry = Create(TimeSpan.FromSeconds(1));

    /// <summary>The retry, with the first delay given (tests shorten it); three retries, exponential, with jitter.</summary>
    internal static ResiliencePipeline Create(TimeSpan firstDelay) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<IOException>(IsTransient),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = firstDelay,
        })
        .Build();

    public static bool IsTransient(IOException e) =>
        e is not (RunFormatException or RunLockedException or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)
        && !IoFaults.IsPermanent(e);

    public static void Run(Action operation) => Retry.Execute(operation);

    public static T Run<T>(Func<T> operation) => Retry.Execute(operation);
}
