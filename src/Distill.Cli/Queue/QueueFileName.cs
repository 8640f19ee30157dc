using Distill.Stages.Kinds;
using System.Globalization;
using System.Text.RegularExpressions;
using Distill.Pipelines;

namespace Distill.Cli.Queue;

/// <summary>Names of queued pipeline files: <c>&lt;pipeline name&gt;-&lt;UTC timestamp&gt;.yaml</c>, unique per submission.</summary>
internal static partial class QueueFileName
{
    private const string TimestampFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    public static string Create(string pipelineName, DateTimeOffset utcNow, int attempt = 0) =>
        $"{pipelineName}-{utcNow.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)}{(attempt > 0 ? $"-{attempt + 1}" : "")}{QueueLayout.PipelineExtension}";

    /// <summary>The pipeline name a queued file was submitted under, read from the file (the truth), else from its name.</summary>
    public static string PipelineNameOf(string path)
    {
        var loaded = PipelineLoader.Load(path, StageKindRegistry.Catalogue);
        if (loaded.Succeeded) return loaded.Pipeline!.Name;
        var stem = Path.GetFileNameWithoutExtension(path);
        var match = SubmittedName().Match(stem);
        return match.Success ? match.Groups["name"].Value : stem;
    }

    [GeneratedRegex(@"^(?<name>.+)-\d{8}T\d{9}Z(-\d+)?$")]
    private static partial Regex SubmittedName();
}
