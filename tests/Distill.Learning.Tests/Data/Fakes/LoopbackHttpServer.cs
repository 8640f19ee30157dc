using System.Net;
using System.Net.Sockets;

namespace Distill.Learning.Tests.Data.Fakes;

/// <summary>One request as the server saw it: its order, path and Range header.</summary>
internal sealed record LoopbackRequest(int Index, string Path, string? Range);

/// <summary>
/// A real HTTP server on 127.0.0.1 (never another interface) on a free port, answering each request
/// with a test's handler. Bounded: past <c>maxRequests</c> it answers 410 Gone, which the downloader
/// does not retry, so a runaway retry loop ends. Dispose stops it and waits for its handlers.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<LoopbackRequest, HttpListenerResponse, Task> _handler;
    private readonly int _maxRequests;
    private readonly List<LoopbackRequest> _requests = [];
    private readonly List<Task> _handlers = [];
    private readonly Task _acceptLoop;

    public LoopbackHttpServer(Func<LoopbackRequest, HttpListenerResponse, Task> handler, int maxRequests = 20)
    {
        _handler = handler;
        _maxRequests = maxRequests;
        (_listener, BaseUrl) = Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseUrl { get; }

    public Uri Url(string path) => new(BaseUrl, path);

    public IReadOnlyList<LoopbackRequest> Requests
    {
        get
        {
            lock (_requests)
                return _requests.ToArray();
        }
    }

    /// <summary>Serves <paramref name="body"/>, from the requested offset with 206 when asked for "bytes=N-" and <paramref name="honourRange"/>.</summary>
    public static async Task ServeAsync(HttpListenerResponse response, byte[] body, string? range, bool honourRange = true)
    {
        var start = 0;
        if (honourRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && int.TryParse(range["bytes=".Length..^1], out var from) && from < body.Length)
        {
            start = from;
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
        }
        response.AddHeader("Accept-Ranges", "bytes");
        response.ContentLength64 = body.Length - start;
        await response.OutputStream.WriteAsync(body.AsMemory(start));
    }

    /// <summary>Announces the whole body, sends only its first <paramref name="sent"/> bytes, then drops the connection.</summary>
    public static async Task DropAfterAsync(HttpListenerResponse response, byte[] body, int sent)
    {
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body.AsMemory(0, sent));
        await response.OutputStream.FlushAsync();
        await Task.Delay(200); // let the client take the bytes before the reset
        response.Abort();
    }

    public static Task StatusAsync(HttpListenerResponse response, int code)
    {
        response.StatusCode = code;
        response.ContentLength64 = 0;
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            LoopbackRequest request;
            bool overLimit;
            lock (_requests)
            {
                request = new LoopbackRequest(_requests.Count, context.Request.Url!.AbsolutePath, context.Request.Headers["Range"]);
                _requests.Add(request);
                overLimit = _requests.Count > _maxRequests;
            }
            var handling = Task.Run(() => HandleAsync(context, request, overLimit));
            lock (_handlers)
                _handlers.Add(handling);
        }
    }

    private async Task HandleAsync(HttpListenerContext context, LoopbackRequest request, bool overLimit)
    {
        try
        {
            if (overLimit)
                await StatusAsync(context.Response, 410);
            else
                await _handler(request, context.Response);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away or the handler aborted the response on purpose.
        }
    }

    private static (HttpListener, Uri) Start()
    {
        // The port is free when asked for; another process may take it before we bind, so try a few.
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var prefix = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(prefix);
            try
            {
                listener.Start();
                return (listener, new Uri(prefix));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        Task[] handlers;
        lock (_handlers)
            handlers = _handlers.ToArray();
        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
