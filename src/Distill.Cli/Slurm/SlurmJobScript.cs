using System.Globalization;
using System.Reflection;
using System.Text;
using Distill.Cli.Commands;
using Distill.Pipelines.Catalogue;

namespace Distill.Cli.Slurm;

/// <summary>
/// The batch script of one stage: its resources and dependencies as #SBATCH lines, then `distill run-stage` on the
/// stage as resolved at submission. TERM (scancel, the time limit's warning <see cref="GraceSeconds"/> ahead,
/// preemption) checkpoints the stage; a stage stopped so, or killed outright (SIGKILL, the OOM killer), requeues its job
/// unless `distill cancel` marked the submission, so it resumes from its checkpoint.
/// </summary>
internal sealed record SlurmJobScript(
    string JobName, string Output, StageResources Resources, IReadOnlyList<string> Dependencies,
    string PipelineFile, string ResolvedPipeline, string StageId, string RunsRoot, string IdentityFile, string Device, int Threads, string CancelMark)
{
    /// <summary>Seconds before the time limit that the stage is told to checkpoint (--signal=B:TERM@...): 120, or a quarter of a shorter limit.</summary>
    public int GraceSeconds => Resources.Time is { } time ? Math.Clamp(Seconds(time) / 4, 10, 120) : 120;

    /// <summary>Requeues of a job whose stage stopped with a checkpoint (time limit, preemption): enough for any schedule, not endless.</summary>
    public const int MaxStoppedRequeues = 50;

    /// <summary>Requeues of a job whose process was killed (SIGKILL, the OOM killer, a lost node): a crash that repeats stops there.</summary>
    public const int MaxKilledRequeues = 2;

    public string Text()
    {
        var text = new StringBuilder("#!/bin/bash\n");
        void Option(string option) => text.Append("#SBATCH ").Append(option).Append('\n');
        Option($"--job-name={JobName}");
        Option($"--output={Output}");
        Option("--open-mode=append");
        Option("--requeue");
        Option($"--signal=B:TERM@{GraceSeconds}");
        Option("--kill-on-invalid-dep=yes");
        Option($"--cpus-per-task={Resources.Cpus}");
        if (Resources.Gpus > 0) Option($"--gres=gpu:{Resources.Gpus}");
        if (Resources.Memory is { } memory) Option($"--mem={memory}");
        if (Resources.Time is { } time) Option($"--time={time}");
        if (Resources.Partition is { } partition) Option($"--partition={partition}");
        if (Resources.Account is { } account) Option($"--account={account}");
        if (Resources.Qos is { } qos) Option($"--qos={qos}");
        if (Dependencies.Count > 0) Option($"--dependency=afterok:{string.Join(':', Dependencies)}");
        foreach (var flag in (Resources.SbatchFlags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)) Option(flag);
        text.Append($$"""
            # Written by `distill submit --engine slurm`. TERM checkpoints the stage (exit {{RunStageCommand.StoppedExitCode}}); unless the run was
            # cancelled, the job then requeues itself and the stage resumes from that checkpoint, as it does after a kill.
            restarts=${SLURM_RESTART_COUNT:-0}
            echo "distill: job $SLURM_JOB_ID on $(hostname), start $((restarts + 1))"
            trap 'kill -TERM "$child" 2>/dev/null' TERM
            {{Command()}} &
            child=$!
            wait "$child"; code=$?
            while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
            if [ ! -e {{Quote(CancelMark)}} ] && { { [ "$code" -eq {{RunStageCommand.StoppedExitCode}} ] && [ "$restarts" -lt {{MaxStoppedRequeues}} ]; } || { [ "$code" -ge 128 ] && [ "$restarts" -lt {{MaxKilledRequeues}} ]; }; }; then
              echo "distill: the stage stopped (exit $code) before it finished; requeueing job $SLURM_JOB_ID to resume it"
              scontrol requeue "$SLURM_JOB_ID"
            fi
            exit "$code"

            """);
        return text.ToString();
    }

    /// <summary>Seconds of a Slurm time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS.</summary>
    public static int Seconds(string time)
    {
        int days = 0;
        if (time.Split('-', 2) is [var d, var rest])
        {
            days = int.Parse(d, CultureInfo.InvariantCulture);
            var parts = rest.Split(':').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return days * 86400 + parts[0] * 3600 + (parts.Length > 1 ? parts[1] * 60 : 0) + (parts.Length > 2 ? parts[2] : 0);
        }
        var fields = time.Split(':').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return fields.Length switch
        {
            1 => fields[0] * 60,
            2 => fields[0] * 60 + fields[1],
            _ => fields[0] * 3600 + fields[1] * 60 + fields[2],
        };
    }

    /// <summary>The same program that submitted, as it was started (`dotnet distill.dll` or the app host): the shared root's install.</summary>
    private string Command()
    {
        var words = new List<string> { Environment.ProcessPath! };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") words.Add(Assembly.GetEntryAssembly()!.Location);
        words.AddRange(["run-stage", PipelineFile, "--stage", StageId, "--runs", RunsRoot, "--identity", IdentityFile,
            "--threads", Threads.ToString(CultureInfo.InvariantCulture), "--device", Device, "--resolved", ResolvedPipeline]);
        return string.Join(' ', words.Select(Quote));
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
