using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>The memory of a CPU tensor, for Distill's own kernels (which check its type and layout first).</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The address of a float32 tensor's first element (its storage offset included).</summary>
    public static float* Float32(Tensor t) => (float*)TensorData(t.Handle);

    /// <summary>The address of a tensor's first element, whatever its type.</summary>
    public static void* Address(Tensor t) => (void*)TensorData(t.Handle);

    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static extern IntPtr TensorData(IntPtr tensor);
}
