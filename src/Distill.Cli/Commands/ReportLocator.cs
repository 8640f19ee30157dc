using Distill.Runs;

namespace Distill.Cli.Commands;

/// <summary>Finds the HTML report a run produced, if any, through its stages' pointers into the store.</summary>
internal static class ReportLocator
{
    public static string? Find(string runDirectory)
    {
        var run = RunDirectory.AtPath(runDirectory);
        return run.ExistingStageIds()
            .Select(id => run.Stage(id))
            .OfType<StageDirectory>()
            .Where(s => Directory.Exists(s.OutputsPath))
            .SelectMany(s => Directory.EnumerateFiles(s.OutputsPath, "report.html", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
    }
}
