using Distill.Runs;

namespace Distill.Cli.Queue;

/// <summary>
/// Cancel markers: <c>cancel/&lt;run&gt;</c> lists, one per line, the claimed files of that run to stop. Naming the
/// file (not just the run) means a marker left behind can never cancel a later submission of the same pipeline.
/// </summary>
internal sealed class CancelRequests(QueueLayout layout)
{
    public string MarkerPath(string runName)
    {
        PathNames.ValidateSegment(runName, "run name");
        return Path.Combine(layout.CancelRequests, runName);
    }

    public void Request(string runName, IEnumerable<string> claimedFileNames)
    {
        Directory.CreateDirectory(layout.CancelRequests);
        AtomicFile.WriteAllText(MarkerPath(runName), string.Join('\n', claimedFileNames) + "\n");
    }

    public bool IsRequested(string runName, ClaimedJob job)
    {
        try { return File.ReadAllLines(MarkerPath(runName)).Contains(job.FileName, StringComparer.Ordinal); }
        catch (FileNotFoundException) { return false; }
        catch (DirectoryNotFoundException) { return false; }
    }

    /// <summary>Removes the marker once the job it names is finished (honoured, or finished before the worker saw it).</summary>
    public void Clear(string runName, ClaimedJob job)
    {
        if (IsRequested(runName, job)) File.Delete(MarkerPath(runName));
    }
}
