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

    /// <summary>How long a client command waits for the server before saying it cannot connect.</summary>
    public const int ConnectTimeoutSeconds = 5;

    /// <summary>
    /// Opens the connection once, briefly: the one line a client command prints when the server cannot be reached (or
    /// the string is not a connection string), or null when it can. Workers instead retry at start-up.
    /// </summary>
    public static string? Unreachable(string connection)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connection) { Timeout = ConnectTimeoutSeconds };
            using var probe = new Npgsql.NpgsqlConnection(builder.ConnectionString);
            probe.Open();
            return null;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            return $"error: cannot connect to PostgreSQL ({Where(connection)}): {e.Message.ReplaceLineEndings(" ")}";
        }
    }

    /// <summary>Host, port and database of a connection string, never its password.</summary>
    private static string Where(string connection)
    {
        try
        {
            var b = new Npgsql.NpgsqlConnectionStringBuilder(connection);
            return $"host {b.Host ?? "?"}, port {b.Port}, database {b.Database ?? "?"}";
        }
        catch (ArgumentException) { return "an unreadable connection string"; }
    }

    public static string? Resolve(string? commandLine)
    {
        var overrides = new Dictionary<string, string?>();
        if (commandLine is not null) overrides[nameof(WorkerOptions.Connection)] = commandLine;
        var configuration = WorkerHost.AddWorkerSources(new ConfigurationBuilder(), overrides).Build();
        var value = configuration[nameof(WorkerOptions.Connection)];
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
