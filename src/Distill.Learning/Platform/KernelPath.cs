using System.Runtime.Intrinsics;
using TorchSharp;

namespace Distill.Learning.Platform;

/// <summary>
/// The kernels results are computed on, as far as the machine picks them: on a CPU, its model (MKL and oneDNN pick
/// kernels and blockings by vendor and model), the instruction set oneDNN uses (with its cap) and the width of .NET's
/// vectors; on a GPU, CUDA. Machines on different paths round
/// differently, so they compute different bits from the same key. Recorded in each result's manifest, not part of
/// its key (docs/formats.md says why): `plan` and `status` point out results computed on another path.
/// </summary>
public static class KernelPath
{
    private static readonly Lazy<string> Cpu = new(() => $"{Model()}: {CpuIsa.Description}, .NET {VectorBits()}-bit vectors");

    /// <summary>For example "AMD EPYC: avx512_core, .NET 512-bit vectors".</summary>
    public static string CurrentCpu => Cpu.Value;

    /// <summary>The path a stage on <paramref name="device"/> computes on.</summary>
    public static string For(torch.Device device) => device.type == DeviceType.CUDA ? "cuda" : CurrentCpu;

    /// <summary>/proc/cpuinfo's model name (or its vendor), else the architecture.</summary>
    private static string Model()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo"))
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var lines = File.ReadLines("/proc/cpuinfo").Take(40).ToList();
        string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        return Field("model name") is { Length: > 0 } model ? model : Field("vendor_id") ?? "unknown CPU";
    }

    private static int VectorBits() =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 64;
}
