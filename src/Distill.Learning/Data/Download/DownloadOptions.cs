namespace Distill.Learning.Data.Download;

/// <summary>How hard <see cref="ResilientDownloader"/> tries before giving up.</summary>
public sealed record DownloadOptions
{
    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the first retry; doubled for each later one, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>No wait between attempts is longer than this.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait for a connection and the response headers.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest wait for the next piece of the body. An idle limit rather than a total one, so that a
    /// slow but steady download of a large archive is never cut off.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Told about each failed attempt that will be retried (attempt number from 1, error, delay).</summary>
    public Action<DownloadRetry>? OnRetry { get; init; }
}

/// <summary>Progress of one download: bytes on disk so far (resumed bytes included) and the total when known.</summary>
public readonly record struct DownloadProgress(long BytesSoFar, long? TotalBytes);

/// <summary>A failed attempt about to be retried after <paramref name="Delay"/>.</summary>
public readonly record struct DownloadRetry(Uri Url, int Attempt, Exception Error, TimeSpan Delay);
