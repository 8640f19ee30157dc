using Distill.Cli.Worker;
using Microsoft.Extensions.Configuration;

namespace Distill.Cli.Cluster;

/// <summary>
/// The connection string `submit`, `status`, `cancel` and `dashboard` use with `--engine postgres`: from the same
/// sources as the worker's (appsettings.json next to the program, then in the current folder, DISTILL_CONNECTION,
/// then --connection), so one appsettings.json serves every command on a machine.
/// </summary>
internal static class ClusterConnection
{
    public const string Missing = "error: --engine postgres needs --connection \"Host=...;Database=...\" (or Connection in appsettings.json, or DISTILL_CONNECTION)";

    public static string? Resolve(string? commandLine)
    {
        var overrides = new Dictionary<string, string?>();
        if (commandLine is not null) overrides[nameof(WorkerOptions.Connection)] = commandLine;
        var configuration = WorkerHost.AddWorkerSources(new ConfigurationBuilder(), overrides).Build();
        var value = configuration[nameof(WorkerOptions.Connection)];
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
