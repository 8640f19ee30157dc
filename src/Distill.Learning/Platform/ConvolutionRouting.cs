using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>How convolutions choose their kernel: by the rule below (the default), or all on one kernel.</summary>
public enum ConvolutionPolicy
{
    /// <summary>
    /// Distill's own kernels for the 3x3 convolutions of 16 or 32 channels on AVX-512 (and of 64 on images of even size),
    /// and for the rest oneDNN where it is
    /// known to be right, oneDNN on zero-padded channels elsewhere (the default: fastest).
    /// </summary>
    Auto,

    /// <summary>The default without Distill's own convolution kernels: oneDNN, zero-padded where needed (the A/B of them).</summary>
    OneDnnRouted,

    /// <summary>oneDNN where it is known to be right, LibTorch's native kernels elsewhere (the self-check's fallback).</summary>
    NativeWhereWrong,

    /// <summary>Everything on oneDNN with NCHW tensors: LibTorch's behaviour before the workaround (for benchmarks and tests).</summary>
    OneDnn,

    /// <summary>Everything on the native kernels.</summary>
    Native,
}

/// <summary>
/// Chooses a kernel for each convolution configuration. oneDNN 3.7.1 inside LibTorch 2.10 computes
/// wrong results for channel counts that only partly fill its blocks (docs/platform-defects.md); those
/// configurations run on oneDNN with zero-padded channels, every other one on oneDNN as it is. A
/// configuration the start-up self-check still finds wrong moves to LibTorch's native kernels.
/// The rule does not depend on the CPU, so every machine trains a model on the same kernels.
/// </summary>
public static class ConvolutionRouting
{
    /// <summary>
    /// The implementation revision of the routing rule and the padded and native convolutions it routes to: part of
    /// the key of every stage that runs a network (<see cref="KernelRevisions"/>). Bump it when they compute other bits.
    /// </summary>
    // 3: Winograd F(2x2, 3x3) forward and input gradient; 4: and weight gradient (F(3x3, 2x2)); 5: 64 channels on even
    // sizes; 6: F(4x4, 3x3) for the forward pass and input gradient where the sides are multiples of 4; 7: and F(3x3, 4x4)
    // for their weight gradient
    public const int Revision = 7;

    private static readonly ConcurrentDictionary<ConvolutionConfig, ConvolutionKernel> Overrides = new();

    static ConvolutionRouting()
    {
        // With oneDNN off, LibTorch would hand forward passes of 16 or more images to NNPACK where the
        // CPU allows it: a third kernel the self-check (2 images) never sees. On CPUs NNPACK refuses it
        // logs a warning on every call. Off, the native path is always im2col + GEMM.
        if (LibTorchContext.IsAvailable) LibTorchContext.NnpackEnabled = false;
    }

    /// <summary>
    /// Process-wide; set by benchmarks and tests, never needed in normal use. Starts from the environment
    /// variable DISTILL_CONVOLUTIONS (auto, native-where-wrong, onednn, native), for diagnosing a kernel.
    /// </summary>
    public static ConvolutionPolicy Policy { get; set; } = PolicyFromEnvironment();

    private static ConvolutionPolicy PolicyFromEnvironment() => Environment.GetEnvironmentVariable("DISTILL_CONVOLUTIONS") switch
    {
        null or "" or "auto" => ConvolutionPolicy.Auto,
        "onednn-routed" => ConvolutionPolicy.OneDnnRouted,
        "native-where-wrong" => ConvolutionPolicy.NativeWhereWrong,
        "onednn" => ConvolutionPolicy.OneDnn,
        "native" => ConvolutionPolicy.Native,
        var other => throw new InvalidOperationException(
            $"DISTILL_CONVOLUTIONS={other} is not one of auto, onednn-routed, native-where-wrong, onednn, native"),
    };

    /// <summary>True where the native kernels can be selected (LibTorch's switch is reachable).</summary>
    public static bool NativeAvailable => LibTorchContext.IsAvailable;

    /// <summary>One line for messages: the workaround in force.</summary>
    public static string Workaround => Policy switch
    {
        ConvolutionPolicy.OneDnn => "none: every convolution on oneDNN",
        ConvolutionPolicy.Native => "every convolution on LibTorch's native kernels",
        ConvolutionPolicy.NativeWhereWrong => "channel counts oneDNN 3.7.1 gets wrong run on LibTorch's native kernels",
        _ when !NativeAvailable => "none: LibTorch's oneDNN switch is not reachable on this platform",
        ConvolutionPolicy.OneDnnRouted => PaddedWorkaround,
        _ => Vector512.IsHardwareAccelerated
            ? $"{PaddedWorkaround}; 3x3 convolutions of 16 or 32 channels (64 on even-sized images) run on Distill's own kernels"
            : PaddedWorkaround,
    };

    private const string PaddedWorkaround = "channel counts oneDNN 3.7.1 gets wrong are zero-padded to counts it gets right";

    /// <summary>
    /// The kernel for a convolution at an input size (Distill's own kernels take some channel counts at some sizes only).
    /// </summary>
    public static ConvolutionKernel KernelFor(ConvolutionShape shape)
    {
        var config = shape.Config;
        if (!NativeAvailable) return Policy == ConvolutionPolicy.OneDnn ? ConvolutionKernel.OneDnn : ConvolutionKernel.OneDnnChannelsLast;
        return Policy switch
        {
            ConvolutionPolicy.OneDnn => ConvolutionKernel.OneDnn,
            ConvolutionPolicy.Native => ConvolutionKernel.Native,
            ConvolutionPolicy.NativeWhereWrong => TrustsOneDnn(config) ? ConvolutionKernel.OneDnnChannelsLast : ConvolutionKernel.Native,
            _ => Overrides.TryGetValue(config, out var kernel) ? kernel
                : Policy == ConvolutionPolicy.Auto && DirectConvolution.Handles(shape) ? ConvolutionKernel.Direct
                : TrustsOneDnn(config) ? ConvolutionKernel.OneDnnChannelsLast : ConvolutionKernel.PaddedOneDnn,
        };
    }

    /// <summary>
    /// Where oneDNN 3.7.1 was measured right on AVX-512 and AVX2 (docs/platform-defects.md): input channels
    /// that fit in 8 or fill blocks of 16 (forward), output channels that fill blocks of 16 (input gradient;
    /// and a weight gradient once came out NaN in training with 8), and, for strided convolutions whose
    /// input gradient is needed, input channels that fit in 16 or fill blocks of 32.
    /// </summary>
    public static bool TrustsOneDnn(ConvolutionConfig config) =>
        (config.InChannels <= 8 || config.InChannels % 16 == 0) &&
        config.OutChannels % 16 == 0 &&
        (!config.InputGradient || config.Stride == 1 || config.InChannels <= 16 || config.InChannels % 32 == 0);

    /// <summary>The smallest channel counts at or above the configuration's that <see cref="TrustsOneDnn"/> accepts.</summary>
    public static (long In, long Out) PaddedChannels(ConvolutionConfig config)
    {
        long inChannels = config.InChannels <= 8 ? config.InChannels : RoundUp(config.InChannels, 16);
        if (config.InputGradient && config.Stride > 1 && inChannels > 16) inChannels = RoundUp(inChannels, 32);
        return (inChannels, RoundUp(config.OutChannels, 16));
    }

    private static long RoundUp(long value, long block) => (value + block - 1) / block * block;

    /// <summary>Sends a configuration the self-check found wrong on its kernel (oneDNN or Distill's) to the native kernels.</summary>
    internal static void FallBackToNative(ConvolutionConfig config) => Overrides[config] = ConvolutionKernel.Native;
}
