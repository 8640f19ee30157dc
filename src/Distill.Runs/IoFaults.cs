namespace Distill.Runs;

/// <summary>
/// I/O failures that waiting will not fix: no space left, a quota exceeded, a file too large, a read-only file system,
/// no permission. Retrying them only repeats the failure (and its litter); they fail a stage with one line at once.
/// </summary>
public static class IoFaults
{
    // .NET on Unix gives an IOException the raw errno as its HResult; on Windows, the Win32 error as 0x8007xxxx.
    private static readonly HashSet<int> PermanentErrno = [27 /* EFBIG */, 28 /* ENOSPC */, 30 /* EROFS */, 122 /* EDQUOT */];
    private static readonly HashSet<int> PermanentWin32 = [39 /* ERROR_HANDLE_DISK_FULL */, 112 /* ERROR_DISK_FULL */, 19 /* ERROR_WRITE_PROTECT */];

    public static bool IsPermanent(Exception e) => e switch
    {
        UnauthorizedAccessException => true,
        IOException io when OperatingSystem.IsWindows() => (io.HResult & 0xFFFF0000) == 0x80070000 && PermanentWin32.Contains(io.HResult & 0xFFFF),
        IOException io => PermanentErrno.Contains(io.HResult),
        _ => false,
    };
}
