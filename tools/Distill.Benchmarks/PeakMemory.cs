namespace Distill.Benchmarks;

/// <summary>Resident memory of this process from /proc (LibTorch's native memory included).</summary>
internal static class PeakMemory
{
    /// <summary>Peak resident set size so far (VmHWM), in MiB.</summary>
    public static double PeakMiB() => ReadKiB("VmHWM:") / 1024.0;

    /// <summary>Current resident set size (VmRSS), in MiB.</summary>
    public static double CurrentMiB() => ReadKiB("VmRSS:") / 1024.0;

    /// <summary>Resets the peak to the current size (writing 5 to clear_refs), where the kernel allows it.</summary>
    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static double ReadKiB(string field)
    {
        if (!File.Exists("/proc/self/status")) return double.NaN;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[field.Length..].Trim().Split(' ')[0]);
    }
}
