using Distill.Runs;
using Spectre.Console;

namespace Distill.Cli.Slurm;

/// <summary>One stage job as `distill status --engine slurm` shows it.</summary>
internal sealed record SlurmJobRow(string Stage, string JobId, string State, string? Reason);

/// <summary>
/// What `distill status RUN --engine slurm` adds to the run's stages: the jobs of its latest submission, each with its
/// state from the queue (squeue), then from the controller's memory of finished jobs (scontrol), then from accounting
/// (sacct) where a cluster has it, and always from the stage's manifest. A job Slurm cancelled because an input's job
/// did not succeed is "blocked", with the input and that input's own reason.
/// </summary>
internal static class SlurmStatus
{
    public static IReadOnlyList<SlurmJobRow> Read(SlurmSubmission submission, StageStore store)
    {
        var ids = submission.Jobs.Select(j => j.JobId).ToList();
        var queued = SlurmClient.Queue(ids);
        var accounted = SlurmClient.Accounting(ids.Where(id => !queued.ContainsKey(id)).ToList());
        var rows = new Dictionary<string, SlurmJobRow>();
        foreach (var job in submission.Jobs)
        {
            var manifest = store.Entry(job.Key).ReadManifest();
            var (state, reason) = manifest is { Status: StageStatus.Completed } ? ("COMPLETED", null)
                : queued.TryGetValue(job.JobId, out var q) ? (q.State, q.Reason)
                : SlurmClient.Show(job.JobId) is { } shown ? (shown.GetValueOrDefault("JobState", "?"), shown.GetValueOrDefault("Reason"))
                : accounted.TryGetValue(job.JobId, out var a) ? (a.State, $"exit code {a.ExitCode}")
                : ("ENDED", "the controller no longer knows the job");
            rows[job.Stage] = new SlurmJobRow(job.Stage, job.JobId, Describe(state, reason, manifest, job, rows), Detail(reason, manifest));
        }
        return [.. submission.Jobs.Select(j => rows[j.Stage])];
    }

    /// <summary>The state in words: Slurm's, except for stages whose inputs' jobs failed (blocked) and stages whose manifest says more.</summary>
    private static string Describe(string state, string? reason, StageManifest? manifest, SlurmStageJob job, IReadOnlyDictionary<string, SlurmJobRow> earlier)
    {
        if (reason == "DependencyNeverSatisfied")
        {
            var input = job.Dependencies.Select(d => earlier.Values.FirstOrDefault(r => r.JobId == d)).OfType<SlurmJobRow>()
                .FirstOrDefault(r => r.State != "completed");
            return input is null ? "blocked: an input's job did not succeed" : $"blocked: input stage '{input.Stage}' {input.State}";
        }
        if (state == "COMPLETED" && manifest is { Status: StageStatus.Completed }) return "completed";
        if (manifest is { Status: StageStatus.Failed }) return $"failed: {manifest.FailureReason}";
        return state.ToLowerInvariant();
    }

    private static string? Detail(string? reason, StageManifest? manifest) =>
        manifest is { Status: StageStatus.Completed } or { Status: StageStatus.Failed } ? null
        : manifest?.Progress is { } progress ? $"epoch {progress.Epoch}, step {progress.Step}" + (reason is null or "None" ? "" : $"; {reason}")
        : reason is null or "None" ? null : reason;

    public static void Write(SlurmSubmission submission, IReadOnlyList<SlurmJobRow> rows, IAnsiConsole console)
    {
        var table = new Table().Title($"[bold]Slurm jobs of {Markup.Escape(submission.Submission)}[/]").AddColumns("stage", "job", "state", "detail");
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Stage), row.JobId, Markup.Escape(row.State), Markup.Escape(row.Reason ?? ""));
        console.Write(table);
        if (submission.Reused.Count > 0) console.MarkupLine(Markup.Escape($"reused from the store, not submitted: {string.Join(", ", submission.Reused)}"));
    }
}
