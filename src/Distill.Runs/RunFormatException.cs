namespace Distill.Runs;

/// <summary>
/// A file in the run store is malformed, truncated or of an unsupported format. The message is one line
/// that names the file and what is wrong with it; it is an error a user can cause (by editing, copying or
/// truncating files), not a bug.
/// </summary>
public sealed class RunFormatException : IOException
{
    public RunFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that is wrong.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
