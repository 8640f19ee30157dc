using System.Diagnostics;
using System.Globalization;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// A real single-node Slurm for the tests, as the PostgreSQL fixture starts a real server: MUNGE with a key of its own
/// (munged as the `munge` user, its socket in a temporary folder), then slurmctld and slurmd as root, on free loopback
/// ports, with state, spool and logs in the same folder, and this machine's cores as the node's CPUs. Debian's
/// slurm-wlm and munge provide the programs (tools/setup.sh --tests installs them). Clients find it through
/// <see cref="Environment"/> (SLURM_CONF).
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    private readonly string _folder;

    private SlurmCluster(string folder) => _folder = folder;

    public string ConfigFile => Path.Combine(_folder, "slurm.conf");

    /// <summary>What a process needs to talk to this cluster.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfigFile };

    public int Cpus { get; } = System.Environment.ProcessorCount;

    public static SlurmCluster Start()
    {
        foreach (var program in new[] { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd" })
            if (!File.Exists(program)) throw new InvalidOperationException($"{program} is missing: run tools/setup.sh --tests (it installs slurm-wlm and munge)");
        if (System.Environment.UserName != "root")
            throw new InvalidOperationException("the Slurm fixture runs slurmd, which needs root (CI runs as root)");
        var cluster = new SlurmCluster(Directory.CreateTempSubdirectory("distill-slurm-").FullName);
        try { cluster.Boot(); }
        catch
        {
            cluster.Dispose();
            throw;
        }
        return cluster;
    }

    private void Boot()
    {
        // MUNGE wants its key private to it and its socket's folder open to all.
        var munge = Path.Combine(_folder, "munge");
        var secret = Path.Combine(munge, "secret");
        Directory.CreateDirectory(secret);
        var key = Path.Combine(secret, "munge.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        Run("chown", "-R", "munge:munge", munge);
        Run("chmod", "755", _folder, munge);
        Run("chmod", "700", secret);
        Run("chmod", "400", key);
        Run("runuser", "-u", "munge", "--", "/usr/sbin/munged", $"--key-file={key}", $"--socket={MungeSocket}",
            $"--pid-file={Path.Combine(munge, "munged.pid")}", $"--log-file={Path.Combine(munge, "munged.log")}", $"--seed-file={Path.Combine(secret, "munged.seed")}");

        foreach (var folder in new[] { "state", "spool", "log" }) Directory.CreateDirectory(Path.Combine(_folder, folder));
        File.WriteAllText(ConfigFile, Config(System.Net.Dns.GetHostName(), PostgresServer.FreePort(), PostgresServer.FreePort()));
        Run("/usr/sbin/slurmctld", "-f", ConfigFile);
        Run("/usr/sbin/slurmd", "-f", ConfigFile);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Client("sinfo", "-h", "-o", "%T").Trim() is not ("idle" or "mixed"))
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"the Slurm node did not come up within 60 s:\n{Logs}");
            Thread.Sleep(250);
        }
    }

    private string MungeSocket => Path.Combine(_folder, "munge", "munge.socket");

    private string Config(string host, int controllerPort, int nodePort) => $"""
        ClusterName=distill-test
        SlurmctldHost={host}
        SlurmUser=root
        SlurmdUser=root
        AuthType=auth/munge
        AuthInfo=socket={MungeSocket}
        CredType=cred/munge
        SlurmctldPort={controllerPort}
        SlurmdPort={nodePort}
        StateSaveLocation={Path.Combine(_folder, "state")}
        SlurmdSpoolDir={Path.Combine(_folder, "spool")}
        SlurmctldPidFile={Path.Combine(_folder, "slurmctld.pid")}
        SlurmdPidFile={Path.Combine(_folder, "slurmd.pid")}
        SlurmctldLogFile={Path.Combine(_folder, "log", "slurmctld.log")}
        SlurmdLogFile={Path.Combine(_folder, "log", "slurmd.log")}
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        SelectType=select/cons_tres
        SelectTypeParameters=CR_Core
        SchedulerType=sched/backfill
        ReturnToService=2
        MpiDefault=none
        JobAcctGatherType=jobacct_gather/none
        AccountingStorageType=accounting_storage/none
        KillWait=30
        MinJobAge=600
        NodeName={host} CPUs={Cpus} State=UNKNOWN
        PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP

        """;

    /// <summary>The controller's and the node's logs, for failure messages.</summary>
    public string Logs => string.Join("\n", new[] { "slurmctld.log", "slurmd.log" }.Select(name => Path.Combine(_folder, "log", name))
        .Where(File.Exists).Select(path => $"--- {Path.GetFileName(path)}\n{string.Join('\n', File.ReadLines(path).TakeLast(40))}"));

    /// <summary>Runs a Slurm client command (squeue, scontrol ...) against this cluster; its output.</summary>
    public string Client(string program, params string[] arguments) => Run(program, Environment, arguments);

    public void Dispose()
    {
        foreach (var pidFile in new[] { "slurmd.pid", "slurmctld.pid", Path.Combine("munge", "munged.pid") })
        {
            var path = Path.Combine(_folder, pidFile);
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Run(string program, params string[] arguments) => ExternalProgram.Run(program, arguments);

    private static string Run(string program, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ExternalProgram.Run(program, environment, arguments);
}
