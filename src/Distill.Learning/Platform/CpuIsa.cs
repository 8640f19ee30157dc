namespace Distill.Learning.Platform;

/// <summary>
/// The instruction set oneDNN uses on this machine: the best one the CPU offers, capped by
/// ONEDNN_MAX_CPU_ISA (or its older name DNNL_MAX_CPU_ISA) when set. Named as oneDNN names them.
/// </summary>
public static class CpuIsa
{
    private static readonly Lazy<string> Effective = new(Describe);
    private static readonly Lazy<string?> Bf16Reason = new(() => Bf16Missing(CpuFlags(), MaxIsaSetting()));

    /// <summary>For example "avx512_core", "avx2 (ONEDNN_MAX_CPU_ISA=AVX2 on an avx512_core CPU)".</summary>
    public static string Description => Effective.Value;

    /// <summary>
    /// Null when oneDNN can run bfloat16 convolutions and matrix products in hardware here; otherwise the reason,
    /// naming the missing CPU flag, as a clause ("this CPU has no avx512_bf16 flag ...").
    /// </summary>
    public static string? Bf16Unavailable => Bf16Reason.Value;

    /// <summary>
    /// Whether 256-bit vectors and FMA run in hardware, which Distill's own float32 loops need: without them .NET would
    /// emulate the loops' vector arithmetic, far slower than LibTorch's kernels.
    /// </summary>
    internal static readonly bool HasVectorFma =
        System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>The flags of /proc/cpuinfo's first processor (empty where there is none).</summary>
    private static IReadOnlySet<string> CpuFlags()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return new HashSet<string>();
        return File.ReadLines("/proc/cpuinfo")
            .FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?
            .Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() ?? [];
    }

    private static string? MaxIsaSetting() =>
        Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA");

    /// <summary>
    /// Where oneDNN 3.7 has bfloat16 kernels in hardware: ISA avx512_core_bf16 and above (the CPU flag avx512_bf16;
    /// every CPU with amx_bf16 has it too), or avx2_vnni_2 (avx_vnni, avx_ne_convert and avx_vnni_int8). oneDNN also
    /// emulates bfloat16 on plain avx512_core, several times slower than float32: that counts as missing. A cap by
    /// ONEDNN_MAX_CPU_ISA counts as oneDNN counts it (its ISAs are partially ordered: SSE41 &lt; AVX &lt; AVX2 &lt;
    /// AVX2_VNNI &lt; AVX2_VNNI_2, and AVX2 &lt; AVX512_CORE &lt; AVX512_CORE_VNNI &lt; AVX512_CORE_BF16 &lt; AVX10_1_512 &lt;
    /// AVX10_1_512_AMX &lt; AVX10_1_512_AMX_FP16, so only AVX2_VNNI_2 itself admits avx2_vnni_2).
    /// </summary>
    /// <param name="flags">The CPU's flags as /proc/cpuinfo spells them.</param>
    /// <param name="maxIsa">ONEDNN_MAX_CPU_ISA's value, or null.</param>
    /// <returns>Null when supported, else a clause naming the missing flag.</returns>
    internal static string? Bf16Missing(IReadOnlySet<string> flags, string? maxIsa)
    {
        bool avx512Core = flags.IsSupersetOf(["avx512f", "avx512bw", "avx512vl", "avx512dq"]);
        bool avx512Bf16 = avx512Core && flags.Contains("avx512_bf16");
        bool avx2Vnni2 = flags.Contains("avx2") && flags.IsSupersetOf(["avx_vnni", "avx_ne_convert", "avx_vnni_int8"]);
        string cap = string.IsNullOrWhiteSpace(maxIsa) ? "DEFAULT" : maxIsa.Trim().ToUpperInvariant();
        bool unlimited = cap is "DEFAULT" or "ALL";
        bool capAdmitsAvx512Bf16 = unlimited || cap is "AVX512_CORE_BF16" or "AVX10_1_512" or "AVX512_CORE_FP16"
            or "AVX10_1_512_AMX" or "AVX512_CORE_AMX" or "AVX10_1_512_AMX_FP16" or "AVX512_CORE_AMX_FP16";
        bool capAdmitsAvx2Vnni2 = unlimited || cap == "AVX2_VNNI_2";

        if ((avx512Bf16 && capAdmitsAvx512Bf16) || (avx2Vnni2 && capAdmitsAvx2Vnni2)) return null;
        if (avx512Bf16)
            return $"ONEDNN_MAX_CPU_ISA={maxIsa} caps oneDNN below avx512_core_bf16, so it cannot use this CPU's avx512_bf16 flag " +
                   "(unset the variable or set it to AVX512_CORE_BF16 or above)";
        if (avx2Vnni2)
            return $"ONEDNN_MAX_CPU_ISA={maxIsa} keeps oneDNN from avx2_vnni_2, so it cannot use this CPU's avx_ne_convert flag " +
                   "(unset the variable or set it to AVX2_VNNI_2)";
        if (flags.Count == 0)
            return $"no CPU flags could be read (/proc/cpuinfo) to find avx512_bf16 on this {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} machine";
        return avx512Core
            ? "this CPU has no avx512_bf16 flag (AVX-512 without bfloat16; nor amx_bf16 or avx_ne_convert)"
            : "this CPU has no avx512_bf16 flag (nor amx_bf16 or avx_ne_convert)";
    }

    private static string Describe()
    {
        string hardware = HardwareIsa();
        string? cap = MaxIsaSetting();
        if (string.IsNullOrWhiteSpace(cap) || cap.Equals("ALL", StringComparison.OrdinalIgnoreCase)) return hardware;
        string capped = cap.ToLowerInvariant();
        return Rank(capped) < Rank(hardware) ? $"{capped} (ONEDNN_MAX_CPU_ISA={cap} on an {hardware} CPU)" : hardware;
    }

    private static string HardwareIsa()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var flags = CpuFlags();
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
