using System.Runtime.InteropServices;

namespace Distill.Cli.Commands;

/// <summary>
/// Turns SIGTERM and Ctrl-C into a cancellation token and keeps the process alive until the work has stopped with a
/// checkpoint (System.CommandLine's own handlers give up after a short timeout).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _term;

    public StopSignals()
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
        Console.CancelKeyPress += OnCancelKey;
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>Stops as a signal would (e.g. when the process that started this one is gone).</summary>
    public void Cancel() => _stop.Cancel();

    private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKey;
        _term.Dispose();
        _stop.Dispose();
    }
}
