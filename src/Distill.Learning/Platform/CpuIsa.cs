namespace Distill.Learning.Platform;

/// <summary>
/// The instruction set oneDNN uses on this machine: the best one the CPU offers, capped by
/// ONEDNN_MAX_CPU_ISA (or its older name DNNL_MAX_CPU_ISA) when set. Named as oneDNN names them.
/// </summary>
public static class CpuIsa
{
    private static readonly Lazy<string> Effective = new(Describe);

    /// <summary>For example "avx512_core", "avx2 (ONEDNN_MAX_CPU_ISA=AVX2 on an avx512_core CPU)".</summary>
    public static string Description => Effective.Value;

    private static string Describe()
    {
        string hardware = HardwareIsa();
        string? cap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA");
        if (string.IsNullOrWhiteSpace(cap) || cap.Equals("ALL", StringComparison.OrdinalIgnoreCase)) return hardware;
        string capped = cap.ToLowerInvariant();
        return Rank(capped) < Rank(hardware) ? $"{capped} (ONEDNN_MAX_CPU_ISA={cap} on an {hardware} CPU)" : hardware;
    }

    private static string HardwareIsa()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var flags = File.ReadLines("/proc/cpuinfo")
            .FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?
            .Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() ?? [];
        if (flags.IsSupersetOf(["avx512f", "avx512bw", "avx512vl", "avx512dq"])) return "avx512_core";
        if (flags.Contains("avx2")) return "avx2";
        if (flags.Contains("avx")) return "avx";
        return flags.Contains("sse4_1") ? "sse41" : "generic";
    }

    private static int Rank(string isa) => isa switch
    {
        _ when isa.StartsWith("avx10") || isa.StartsWith("avx512") => 3,
        _ when isa.StartsWith("avx2") => 2,
        "avx" => 1,
        _ => 0,
    };
}
