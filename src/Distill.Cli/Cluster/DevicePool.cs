using System.Collections.Concurrent;

namespace Distill.Cli.Cluster;

/// <summary>
/// The GPUs of a worker, one per slot: a stage takes a free one for its run and gives it back. Hangfire runs at most
/// one job per slot, so one is always free; without devices, <see cref="Take"/> hands out "no device".
/// </summary>
public sealed class DevicePool(IReadOnlyList<string> devices)
{
    private readonly ConcurrentQueue<string> _free = new(devices);

    /// <summary>A device for one stage (Name null when the worker has none), returned to the pool on dispose.</summary>
    public Lease Take() => devices.Count == 0 ? new Lease(null, null)
        : _free.TryDequeue(out var device) ? new Lease(device, _free)
        : throw new InvalidOperationException($"no free device among {string.Join(",", devices)}: more stages than slots");

    public sealed class Lease(string? name, ConcurrentQueue<string>? pool) : IDisposable
    {
        public string? Name { get; } = name;

        public void Dispose()
        {
            if (Name is not null) pool!.Enqueue(Name);
        }
    }
}
