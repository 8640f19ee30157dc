using System.Globalization;
using Spectre.Console;

namespace Distill.Cli.Status;

/// <summary>Renders what <see cref="RunStatusReader"/> read as Spectre.Console tables.</summary>
internal sealed class StatusView(IAnsiConsole console)
{
    public void WriteRuns(string runsRoot, IReadOnlyList<RunStatusRow> runs, QueueCounts? queue)
    {
        if (runs.Count == 0)
            console.MarkupLine($"No runs in {Markup.Escape(runsRoot)}");
        else
        {
            var table = new Table().Title(Markup.Escape($"Runs in {runsRoot}"))
                .AddColumns("run", "stages", "state", "last change (UTC)");
            foreach (var run in runs)
                table.AddRow(Markup.Escape(run.Name), $"{run.Completed}/{run.Total}", StateMarkup(run.State),
                    run.LastChange.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            console.Write(table);
        }
        if (queue is not null)
            console.MarkupLine($"Queue: {queue.Pending} pending, {queue.Claimed} claimed, {queue.Done} done, {queue.Failed} failed, {queue.Cancelled} cancelled");
    }

    public void WriteRun(string runName, IReadOnlyList<StageStatusRow> stages)
    {
        var table = new Table().Title(Markup.Escape($"Run {runName}"))
            .AddColumns("stage", "kind", "state", "epoch", "val acc", "test acc", "test ECE", "duration", "reason");
        foreach (var s in stages)
        {
            table.AddRow(Markup.Escape(s.StageId), Markup.Escape(s.Kind), StateMarkup(s.State), Epoch(s),
                Percent(s.ValidationAccuracy), Percent(s.TestAccuracy), Number(s.TestEce), Duration(s.Duration),
                Markup.Escape(s.Reason ?? ""));
        }
        console.Write(table);
        console.MarkupLine($"{stages.Count(s => s.State == "completed")}/{stages.Count} stages completed");
    }

    private static string StateMarkup(string state)
    {
        var color = state switch
        {
            "completed" => "green",
            "running" => "blue",
            "cancelled" or "interrupted" or "incomplete" => "yellow",
            "failed" or "unreadable" => "red",
            _ => "grey",
        };
        return $"[{color}]{Markup.Escape(state)}[/]";
    }

    private static string Epoch(StageStatusRow s) =>
        s.Progress is null ? "-" : s.Epochs is { } total ? $"{s.Progress.Epoch}/{total}" : s.Progress.Epoch.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double? value) => value is { } v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-";

    private static string Number(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Duration(TimeSpan? duration) => duration switch
    {
        null => "-",
        { TotalMinutes: < 1 } d => d.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s",
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes}m {d.Seconds:00}s",
        var d => $"{(int)d.Value.TotalHours}h {d.Value.Minutes:00}m",
    };
}
