using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Engine;
using Spectre.Console;

namespace Distill.Cli.Display;

/// <summary>
/// Reports a foreground run: one line per stage event and per epoch; step progress as a live status
/// line on an interactive terminal, or a plain line every few seconds otherwise.
/// </summary>
internal sealed class ConsoleRunObserver(bool interactive) : IRunObserver
{
    private readonly TimeSpan _lineInterval = TimeSpan.FromSeconds(15);
    private DateTime _lastLine = DateTime.UtcNow;
    private readonly object _gate = new();

    public void StageStarting(string stageId, string kind, StageAction action, string reason) =>
        Line($"[bold]{Markup.Escape(stageId)}[/] ({kind}): {(action == StageAction.Resume ? "resuming" : "starting")} - {Markup.Escape(reason)}");

    public void Step(string stageId, StepReport report)
    {
        var now = DateTime.UtcNow;
        if (now - _lastLine < (interactive ? TimeSpan.FromSeconds(0.5) : _lineInterval)) return;
        _lastLine = now;
        var text = $"{stageId} epoch {report.Epoch + 1} step {report.Step + 1}/{report.StepsPerEpoch} loss {report.Loss:F3} lr {report.LearningRate:G3}";
        lock (_gate)
        {
            if (interactive) Console.Write($"\r{Bar((report.Step + 1.0) / report.StepsPerEpoch)} {text,-80}\r");
            else Console.WriteLine(text);
        }
    }

    /// <summary>A 24-character bar with the share of the epoch done, e.g. [#########...........]  45%.</summary>
    private static string Bar(double done)
    {
        int filled = (int)Math.Round(Math.Clamp(done, 0, 1) * 20);
        return $"[{new string('#', filled)}{new string('.', 20 - filled)}] {done,4:P0}";
    }

    public void EpochFinished(string stageId, EpochMetrics metrics, int epochs) =>
        Line(Markup.Escape(EpochLine.Format(stageId, metrics, epochs)));

    public void StageFinished(StageOutcome outcome)
    {
        var color = outcome.Status switch
        {
            StageRunStatus.Completed or StageRunStatus.UpToDate => "green",
            StageRunStatus.Cancelled => "yellow",
            _ => "red",
        };
        var reason = outcome.Reason is null ? "" : $" - {Markup.Escape(outcome.Reason)}";
        Line($"[{color}]{Markup.Escape(outcome.StageId)}: {outcome.Status.ToString().ToLowerInvariant()}[/] ({outcome.Duration.TotalSeconds:F1} s){reason}");
    }

    public void Info(string message) => Line(Markup.Escape(message));

    private void Line(string markup)
    {
        lock (_gate)
        {
            if (interactive) Console.Write($"\r{new string(' ', 100)}\r");
            AnsiConsole.MarkupLine(markup);
        }
    }
}
