using Hangfire;
using Hangfire.Storage.Monitoring;
using Spectre.Console;

namespace Distill.Cli.Cluster;

/// <summary>
/// What `distill status --engine postgres` adds to the runs: the workers Hangfire knows (and when each last
/// reported), the stage jobs by state, the latest failed stages with their reasons and the stages they block.
/// </summary>
internal static class ClusterStatus
{
    public static void Write(JobStorage storage, IAnsiConsole console)
    {
        var monitoring = ReadyStages.Reconnecting.Execute(storage.GetMonitoringApi);
        var servers = monitoring.Servers();
        var workers = new Table().Title("[bold]workers[/]").AddColumns("worker", "slots", "started (UTC)", "last heartbeat (UTC)");
        foreach (var server in servers.OrderBy(s => s.Name, StringComparer.Ordinal))
            workers.AddRow(Markup.Escape(server.Name), server.WorkersCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{server.StartedAt:yyyy-MM-dd HH:mm:ss}", server.Heartbeat is { } beat ? $"{beat:yyyy-MM-dd HH:mm:ss}" : "-");
        console.Write(workers);
        var stats = monitoring.GetStatistics();
        console.MarkupLine(Markup.Escape($"stage jobs: {stats.Enqueued} queued, {stats.Processing} running, {stats.Succeeded} done, {stats.Failed} failed"));
        var failed = monitoring.FailedJobs(0, 20);
        if (failed.Count > 0)
        {
            var table = new Table().Title("[bold]failed stages[/]").AddColumns("submission / stage", "failed at (UTC)", "reason");
            foreach (var (_, job) in failed)
                table.AddRow(Markup.Escape(Describe(job)), job.FailedAt is { } at ? $"{at:yyyy-MM-dd HH:mm:ss}" : "-", Markup.Escape(job.ExceptionMessage ?? "?"));
            console.Write(table);
        }
        // Never enqueued: an input failed (or was blocked itself), as a local run reports them.
        var blocked = ReadyStages.Blocked(storage);
        if (blocked.Count == 0) return;
        var blockedTable = new Table().Title("[bold]blocked stages[/]").AddColumns("submission / stage", "reason");
        foreach (var (stage, reason) in blocked.OrderBy(b => b.Key, StringComparer.Ordinal))
            blockedTable.AddRow(Markup.Escape(stage), Markup.Escape(reason));
        console.Write(blockedTable);
    }

    private static string Describe(FailedJobDto job) =>
        job.Job?.Args is [string submission, string stage, ..] ? $"{submission} / {stage}" : job.Job?.ToString() ?? "?";
}
