using System.Net;
using System.Net.Sockets;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// A real PostgreSQL server for one test: a fresh cluster made by initdb in a temporary folder, listening on a free
/// loopback port, with trust authentication for the role `distill`. PostgreSQL refuses to run as root, and CI runs as
/// root, so there every command runs as the unprivileged `postgres` user (runuser), which then owns the folder.
/// Debian's `postgresql` package provides the binaries (tools/setup.sh --tests installs it).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string Role = "distill";

    private readonly string _bin;
    private readonly bool _asPostgresUser;

    private PostgresServer(string folder, string bin, bool asPostgresUser, int port)
    {
        Folder = folder;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public string Folder { get; }

    public string DataFolder => Path.Combine(Folder, "data");

    public int Port { get; }

    /// <summary>For Npgsql (and Hangfire.PostgreSql): the server's own `postgres` database as role `distill`.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={Role};Database=postgres;Pooling=false";

    /// <summary>initdb, then start; fails the test with the server's log if either fails.</summary>
    public static PostgresServer Start()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")).LastOrDefault(Directory.Exists)
            ?? throw new InvalidOperationException("PostgreSQL is not installed (/usr/lib/postgresql/<version>/bin); run tools/setup.sh --tests");
        bool asRoot = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("distill-pg-").FullName;
        var server = new PostgresServer(folder, bin, asRoot, FreePort());
        if (asRoot) Run("chown", "postgres:postgres", folder);
        server.Pg("initdb", "-D", server.DataFolder, "-U", Role, "-A", "trust", "-E", "UTF8", "--no-sync");
        server.Start(wait: true);
        return server;
    }

    /// <summary>Starts the stopped server on the same port and data.</summary>
    public void Start(bool wait = true) =>
        Pg("pg_ctl", "-D", DataFolder, "-l", Path.Combine(Folder, "server.log"), wait ? "-w" : "-W",
            "-o", $"-p {Port} -k {Folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops at once (like a crash or a lost machine: no checkpoint, clients cut off).</summary>
    public void Stop() => Pg("pg_ctl", "-D", DataFolder, "-m", "immediate", "-w", "stop");

    /// <summary>The server's log so far, for failure messages.</summary>
    public string Log => File.Exists(Path.Combine(Folder, "server.log")) ? File.ReadAllText(Path.Combine(Folder, "server.log")) : "";

    /// <summary>Runs SQL with psql and returns its unaligned output.</summary>
    public string Query(string sql) =>
        Run("psql", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Role, "-d", "postgres", "-At", "-c", sql).Trim();

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { } // already stopped
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string Pg(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        return _asPostgresUser ? Run("runuser", ["-u", "postgres", "--", path, .. arguments]) : Run(path, arguments);
    }

    private static string Run(string program, params string[] arguments) => ExternalProgram.Run(program, arguments);

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
