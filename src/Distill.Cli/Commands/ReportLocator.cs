namespace Distill.Cli.Commands;

/// <summary>Finds the HTML report a run produced, if any.</summary>
internal static class ReportLocator
{
    public static string? Find(string runDirectory)
    {
        var stages = Path.Combine(runDirectory, "stages");
        if (!Directory.Exists(stages)) return null;
        return Directory.EnumerateFiles(stages, "report.html", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).FirstOrDefault();
    }
}
