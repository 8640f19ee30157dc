using Distill.Learning.Training;
using Spectre.Console;

namespace Distill.Cli.Display;

/// <summary>
/// Shows training progress: a live bar on an interactive terminal, otherwise a plain line every
/// few seconds (logs and CI stay readable).
/// </summary>
internal sealed class StepProgress
{
    private readonly TimeSpan _lineInterval = TimeSpan.FromSeconds(10);
    private DateTime _lastLine = DateTime.MinValue;

    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs the work with a progress bar (interactive) or periodic lines; the callback reports each step.</summary>
    public T Run<T>(string label, Func<Action<StepReport>, T> work)
    {
        if (!Interactive)
            return work(report => PrintLine(label, report));

        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(label);
                result = work(report =>
                {
                    task.MaxValue = report.StepsPerEpoch;
                    task.Value = report.Step + 1;
                    task.Description = $"{label} epoch {report.Epoch + 1} loss {report.Loss:F3}";
                });
            });
        return result;
    }

    private void PrintLine(string label, StepReport report)
    {
        var now = DateTime.UtcNow;
        if (now - _lastLine < _lineInterval) return;
        _lastLine = now;
        Console.WriteLine($"{label} epoch {report.Epoch + 1} step {report.Step + 1}/{report.StepsPerEpoch} loss {report.Loss:F3} lr {report.LearningRate:G3}");
    }
}
