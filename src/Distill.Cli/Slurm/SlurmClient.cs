using System.Diagnostics;

namespace Distill.Cli.Slurm;

/// <summary>Slurm's client commands (sbatch, squeue, scontrol, scancel, sacct), run as processes; SLURM_CONF and PATH as the caller has them.</summary>
internal static class SlurmClient
{
    /// <summary>Why the Slurm engine cannot run here (no sbatch on PATH); null when it can.</summary>
    public static string? Missing() =>
        Find("sbatch") is null ? "error: sbatch is not on PATH: the Slurm engine runs Slurm's client commands (Debian: slurm-client), on a machine that can submit jobs" : null;

    /// <summary>Submits a job script; its job id.</summary>
    public static string Submit(string script)
    {
        var (code, output, errors) = Run("sbatch", "--parsable", script);
        if (code != 0) throw new SlurmException($"sbatch {script} failed ({code}): {errors.Trim()}");
        return output.Trim().Split(';')[0];
    }

    /// <summary>Jobs the queue still holds (pending, running, completing): job id -> (state, reason).</summary>
    public static Dictionary<string, (string State, string Reason)> Queue(IReadOnlyCollection<string> jobs)
    {
        var states = new Dictionary<string, (string, string)>();
        if (jobs.Count == 0) return states;
        var (code, output, _) = Run("squeue", "-h", "-j", string.Join(',', jobs), "-o", "%i|%T|%r");
        if (code != 0) return states; // every id unknown to the controller by now
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (line.Split('|') is [var id, var state, var reason]) states[id] = (state, reason);
        return states;
    }

    /// <summary>A job the controller still remembers (finished jobs for MinJobAge): its JobState, Reason and ExitCode; null once forgotten.</summary>
    public static IReadOnlyDictionary<string, string>? Show(string job)
    {
        var (code, output, _) = Run("scontrol", "show", "job", "-o", job);
        if (code != 0) return null;
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(field => field.Split('=', 2)).Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.First()[1]);
    }

    /// <summary>From accounting, where a cluster has it: job id -> (state, exit code); empty without accounting storage.</summary>
    public static Dictionary<string, (string State, string ExitCode)> Accounting(IReadOnlyCollection<string> jobs)
    {
        var states = new Dictionary<string, (string, string)>();
        if (jobs.Count == 0 || Find("sacct") is null) return states;
        var (code, output, _) = Run("sacct", "-n", "-P", "-X", "-j", string.Join(',', jobs), "-o", "JobID,State,ExitCode");
        if (code != 0) return states; // "Slurm accounting storage is disabled"
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (line.Split('|') is [var id, var state, var exit]) states[id] = (state, exit);
        return states;
    }

    /// <summary>scancel: Slurm sends TERM (a running stage checkpoints), then KILL after the cluster's KillWait.</summary>
    public static void Cancel(IReadOnlyCollection<string> jobs)
    {
        if (jobs.Count == 0) return;
        var (code, _, errors) = Run("scancel", [.. jobs]);
        if (code != 0) throw new SlurmException($"scancel failed ({code}): {errors.Trim()}");
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists);

    private static (int Code, string Output, string Errors) Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new SlurmException($"{program} could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new SlurmException($"{program} did not answer within 2 minutes (is slurmctld up?)");
        }
        return (process.ExitCode, output.Result, errors);
    }
}

/// <summary>A Slurm command failed; the message says which and why.</summary>
internal sealed class SlurmException(string message) : Exception(message);
