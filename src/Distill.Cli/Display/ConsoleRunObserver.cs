using Distill.Learning.Training;
using Distill.Runs;
using Distill.Stages.Engine;
using Spectre.Console;

namespace Distill.Cli.Display;

/// <summary>
/// Reports a foreground run: one line per stage event and per epoch. Step progress is a Spectre progress bar per
/// running stage on an interactive terminal (<see cref="Show"/>), or a plain line every few seconds otherwise,
/// so logs and CI stay readable.
/// </summary>
internal sealed class ConsoleRunObserver : IRunObserver
{
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(15);

    private readonly ProgressContext? _bars;
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private DateTime _lastLine = DateTime.UtcNow;

    private ConsoleRunObserver(ProgressContext? bars) => _bars = bars;

    /// <summary>Whether this console can show live bars (a terminal, not a pipe or a CI log).</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/> with an observer that draws live bars where the console allows them.</summary>
    public static T Show<T>(Func<IRunObserver, T> work)
    {
        if (!Interactive) return work(new ConsoleRunObserver(null));
        return AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(bars => work(new ConsoleRunObserver(bars)));
    }

    public void StageStarting(string stageId, string kind, StageAction action, string reason) =>
        Line($"[bold]{Markup.Escape(stageId)}[/] ({kind}): {(action == StageAction.Resume ? "resuming" : "starting")} - {Markup.Escape(reason)}");

    public void Step(string stageId, StepReport report)
    {
        var text = $"{stageId} epoch {report.Epoch + 1} step {report.Step + 1}/{report.StepsPerEpoch} loss {report.Loss:F3} lr {report.LearningRate:G3}";
        lock (_gate)
        {
            if (_bars is not null)
            {
                if (!_tasks.TryGetValue(stageId, out var task)) _tasks[stageId] = task = _bars.AddTask(stageId);
                task.MaxValue = report.StepsPerEpoch;
                task.Value = report.Step + 1;
                task.Description = Markup.Escape($"{stageId} epoch {report.Epoch + 1} loss {report.Loss:F3}");
                return;
            }
            var now = DateTime.UtcNow;
            if (now - _lastLine < LineInterval) return;
            _lastLine = now;
            Console.WriteLine(text);
        }
    }

    public void EpochFinished(string stageId, EpochMetrics metrics, int epochs) =>
        Line(Markup.Escape(EpochLine.Format(stageId, metrics, epochs)));

    public void StageFinished(StageOutcome outcome)
    {
        lock (_gate)
        {
            if (_tasks.Remove(outcome.StageId, out var task)) task.StopTask();
        }
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

    /// <summary>A line above the live bars (Spectre keeps them at the bottom) or on the plain output.</summary>
    private void Line(string markup)
    {
        lock (_gate) AnsiConsole.MarkupLine(markup);
    }
}
