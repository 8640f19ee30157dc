using System.Runtime.InteropServices;

namespace Distill.Learning.Training;

/// <summary>Raises glibc's mmap and trim thresholds so large tensor buffers are reused, not re-mapped.</summary>
public static class NativeMemoryTuning
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("DISTILL_NO_MALLOPT") == "1") return;
        try
        {
            // 1 GiB: above any single activation buffer of the models here.
            mallopt(M_MMAP_THRESHOLD, 1 << 30);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl): keep the allocator's defaults.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
