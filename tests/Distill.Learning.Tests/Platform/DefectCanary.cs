namespace Distill.Learning.Tests.Platform;

/// <summary>
/// Where oneDNN's wrong kernels show. They were measured on AMD EPYC (Zen 5) on both ISAs; on an Intel Xeon (family 6
/// model 207) the same primitives (jit:avx512_core, jit:avx2) compute the canaries' shapes right, with or without
/// MALLOC_PERTURB_ (2026-12-03). A canary that asserts "still wrong" is read only on the CPUs it was measured on, so
/// that a LibTorch upgrade that fixes them still makes it fail there.
/// </summary>
internal static class DefectCanary
{
    private static readonly Lazy<string> Vendor = new(() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown");

    public static void SkipUnlessMeasuredHere() =>
        Skip.If(Vendor.Value != "AuthenticAMD",
            $"oneDNN's defect was measured on AMD CPUs; this {Vendor.Value} CPU computes the canary's shape right (docs/platform-defects.md)");
}
