using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace Distill.Learning.Data.Download;

/// <summary>
/// Downloads one file over HTTP(S) to a local path, retrying transient failures with exponential
/// backoff and jitter, resuming from what an earlier attempt (or run) left in "&lt;target&gt;.part", and
/// verifying a checksum before the file takes its final name. So a file at the target path is
/// always complete and verified.
/// </summary>
public sealed class ResilientDownloader : IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly DownloadOptions _options;
    private readonly ResiliencePipeline _pipeline;

    /// <param name="options">Retry and timeout settings; defaults when null.</param>
    /// <param name="httpClient">A client to use (not disposed here); when null one is made and owned.</param>
    public ResilientDownloader(DownloadOptions? options = null, HttpClient? httpClient = null)
    {
        _options = options ?? new DownloadOptions();
        if (_options.MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1");
        _ownsHttp = httpClient is null;
        _http = httpClient ?? CreateClient(_options);
        _pipeline = BuildPipeline(_options);
    }

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="targetPath"/> unless a file that matches
    /// <paramref name="expected"/> is already there. Throws <see cref="DatasetException"/> for a
    /// missing resource, a checksum mismatch, or when every attempt failed.
    /// </summary>
    public async Task DownloadAsync(
        Uri url,
        string targetPath,
        Checksum? expected,
        Action<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var target = Path.GetFullPath(targetPath);
        if (File.Exists(target) && (expected is null || expected.Matches(target, out _)))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var part = target + ".part";

        try
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(UrlKey, url);
            try
            {
                await _pipeline.ExecuteAsync(
                    async ctx => await AttemptAsync(url, part, progress, ctx.CancellationToken).ConfigureAwait(false),
                    context).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        catch (Exception e) when (IsTransient(e))
        {
            // The .part file stays: the next run resumes from it.
            throw new DatasetException(
                $"Downloading {url} failed after {_options.MaxAttempts} attempt{(_options.MaxAttempts == 1 ? "" : "s")}: {e.Message} " +
                $"Check the network and run again (it resumes from {part}), or put the file at {target} yourself.", e);
        }

        if (expected is not null && !expected.Matches(part, out var actual))
        {
            // Deterministic: retrying the same bytes cannot help, and a bad .part must not be resumed.
            File.Delete(part);
            throw new DatasetException(
                $"Checksum mismatch for {url}: expected {expected}, got {new Checksum(expected.Algorithm, actual)}. " +
                "The download was deleted; check the configured URL and checksum, then run again.");
        }
        File.Move(part, target, overwrite: true);
    }

    /// <summary>One attempt: resume or start the .part file and copy the body into it.</summary>
    private async Task AttemptAsync(Uri url, string part, Action<DownloadProgress>? progress, CancellationToken token)
    {
        var existing = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (existing > 0)
            request.Headers.Range = new RangeHeaderValue(existing, null);

        // One source, re-armed before each wait: a stall anywhere becomes a TimeoutException.
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
        timer.CancelAfter(_options.ResponseTimeout);
        using var response = await Guard(
            () => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timer.Token),
            url, _options.ResponseTimeout, token).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // Our .part is no prefix of what the server has now (e.g. the file changed): start over.
            File.Delete(part);
            throw new IOException($"{url} refused to resume at byte {existing} (416); restarting from the beginning.");
        }
        ThrowForStatus(url, response);

        var resuming = existing > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (resuming && response.Content.Headers.ContentRange?.From != existing)
        {
            File.Delete(part);
            throw new IOException($"{url} answered a range other than the one asked for; restarting from the beginning.");
        }
        if (!resuming)
            existing = 0; // 200 to a range request: the server sends everything, so we restart.

        long? total = resuming
            ? response.Content.Headers.ContentRange?.Length ?? existing + response.Content.Headers.ContentLength
            : response.Content.Headers.ContentLength;

        await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using var file = new FileStream(
            part, resuming ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        var buffer = new byte[BufferSize];
        var written = existing;
        progress?.Invoke(new DownloadProgress(written, total));
        while (true)
        {
            timer.CancelAfter(_options.ReadTimeout);
            var read = await Guard(
                () => body.ReadAsync(buffer, timer.Token).AsTask(), url, _options.ReadTimeout, token).ConfigureAwait(false);
            if (read == 0)
                break;
            await file.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
            written += read;
            progress?.Invoke(new DownloadProgress(written, total));
        }
        await file.FlushAsync(token).ConfigureAwait(false);

        if (total is { } expectedLength && written != expectedLength)
            throw new IOException($"{url} ended after {written} of {expectedLength} bytes.");
    }

    /// <summary>Turns a cancellation caused by our own timer (not the caller) into a retryable timeout.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> action, Uri url, TimeSpan limit, CancellationToken caller)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new TimeoutException($"{url} sent nothing for {limit.TotalSeconds:0.###} s.", e);
        }
    }

    private static void ThrowForStatus(Uri url, HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
            return;
        var code = (int)response.StatusCode;
        var text = $"{url} answered {code} {response.ReasonPhrase}.";
        if (code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            throw new HttpRequestException(text, null, response.StatusCode); // transient: retried
        throw new DatasetException(response.StatusCode == HttpStatusCode.NotFound
            ? $"{text} Check the configured download URL."
            : $"{text} This is not retried; check the URL and whether the server allows the download.");
    }

    /// <summary>Failures that another attempt may cure; 404s and checksum mismatches are not among them.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        HttpRequestException h => h.StatusCode is null || IsTransientStatus(h.StatusCode.Value),
        IOException or TimeoutException => true,
        _ => false,
    };

    private static bool IsTransientStatus(HttpStatusCode code) =>
        (int)code >= 500 || code is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private static ResiliencePipeline BuildPipeline(DownloadOptions options) => options.MaxAttempts == 1
        ? ResiliencePipeline.Empty // Polly's retry needs at least one retry
        : new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                OnRetry = args =>
                {
                    if (options.OnRetry is { } onRetry && args.Outcome.Exception is { } error)
                        onRetry(new DownloadRetry(CurrentUrl(args.Context), args.AttemptNumber + 1, error, args.RetryDelay));
                    return default;
                },
            })
            .Build();

    private static Uri CurrentUrl(ResilienceContext context) => context.Properties.GetValue(UrlKey, new Uri("about:blank"));

    private static readonly ResiliencePropertyKey<Uri> UrlKey = new("distill.download.url");

    private static HttpClient CreateClient(DownloadOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ResponseTimeout,
            AutomaticDecompression = DecompressionMethods.None, // the archive's bytes are what we hash
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Distill/1.0");
        return client;
    }

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }
}
