namespace Distill.Runs;

/// <summary>
/// Checks names that come from pipeline definitions before they become paths, so that a stage id or an
/// output name can never reach outside the run directory ("..", rooted paths, separators, control characters).
/// </summary>
public static class PathNames
{
    /// <summary>Longest accepted single name; file systems allow 255 bytes and we append suffixes.</summary>
    public const int MaxSegmentLength = 200;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is one safe path segment.</summary>
    public static void ValidateSegment(string name, string what)
    {
        var problem = SegmentProblem(name);
        if (problem is not null) throw new ArgumentException($"Invalid {what} '{name}': {problem}.", what);
    }

    /// <summary>
    /// Validates a relative path made of safe segments joined by '/', and returns it in that form.
    /// Backslashes are rejected rather than converted, so a name means the same on every system.
    /// </summary>
    public static string ValidateRelativePath(string relativePath, string what)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Length == 0) throw new ArgumentException($"Invalid {what}: it is empty.", what);
        if (relativePath.StartsWith('/') || Path.IsPathRooted(relativePath))
            throw new ArgumentException($"Invalid {what} '{relativePath}': it must be relative.", what);
        foreach (var segment in relativePath.Split('/'))
        {
            var problem = SegmentProblem(segment);
            if (problem is not null) throw new ArgumentException($"Invalid {what} '{relativePath}': {problem}.", what);
        }
        return relativePath;
    }

    /// <summary>Combines and double-checks that the result lies strictly inside <paramref name="baseDirectory"/>.</summary>
    public static string CombineInside(string baseDirectory, string relativePath, string what)
    {
        ValidateRelativePath(relativePath, what);
        var root = Path.GetFullPath(baseDirectory);
        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new ArgumentException($"Invalid {what} '{relativePath}': it leaves '{root}'.", what);
        return full;
    }

    private static string? SegmentProblem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "it is empty";
        if (name is "." or "..") return "'.' and '..' are not allowed";
        if (name.Length > MaxSegmentLength) return $"it is longer than {MaxSegmentLength} characters";
        if (name.Trim().Length != name.Length) return "it starts or ends with whitespace";
        foreach (var c in name)
        {
            if (c is '/' or '\\') return "path separators are not allowed";
            if (char.IsControl(c)) return "control characters are not allowed";
            if (c is ':' or '*' or '?' or '"' or '<' or '>' or '|') return $"'{c}' is not allowed (not portable to Windows)";
        }
        return null;
    }
}
