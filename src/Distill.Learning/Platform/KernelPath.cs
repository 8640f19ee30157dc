using System.Runtime.Intrinsics;
using TorchSharp;

namespace Distill.Learning.Platform;

/// <summary>
/// The kernels results are computed on, as far as the machine picks them: on a CPU, its vendor, the instruction set
/// oneDNN uses (with its cap) and the width of .NET's vectors; on a GPU, CUDA. Machines on different paths round
/// differently, so they compute different bits from the same key. Recorded in each result's manifest, not part of
/// its key (docs/formats.md says why): `plan` and `status` point out results computed on another path.
/// </summary>
public static class KernelPath
{
    private static readonly Lazy<string> Cpu = new(() => $"{Vendor()} {CpuIsa.Description}, .NET {VectorBits()}-bit vectors");

    /// <summary>For example "AuthenticAMD avx512_core, .NET 512-bit vectors".</summary>
    public static string CurrentCpu => Cpu.Value;

    /// <summary>The path a stage on <paramref name="device"/> computes on.</summary>
    public static string For(torch.Device device) => device.type == DeviceType.CUDA ? "cuda" : CurrentCpu;

    private static string Vendor() =>
        OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim() ?? "unknown-vendor"
            : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static int VectorBits() =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 64;
}
