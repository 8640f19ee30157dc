using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>
/// A local response norm layer as one operation of ours (<see cref="LocalResponseNormKernels"/>, forward and input
/// gradient) on channels-last float32 CPU tensors with beta 3/4, where its self-check passed; anything else (other
/// exponents or types, NCHW tensors, a GPU, a window or channel count above <see cref="LocalResponseNormKernels.MostChannels"/>) runs
/// LibTorch's composite as before. Each row is computed alone, so results do not depend on the thread count; they agree
/// with LibTorch's to float32 rounding, not to the bit (<see cref="LocalResponseNormSelfCheck"/>). The backward pass
/// is not itself differentiable and frees what it saved, so a graph through it is differentiated once.
/// </summary>
public static unsafe class FusedLocalResponseNorm
{
    /// <summary>The layer's output: the fused kernels where they take the call, else the module itself.</summary>
    public static Tensor Apply(LocalResponseNorm norm, Tensor x) =>
        Runs(norm, x) && LocalResponseNormSelfCheck.Passed ? Fused(norm, x) : norm.call(x);

    /// <summary>The fused operation without the eligibility and self-check gates (the self-check calls it directly).</summary>
    internal static Tensor Fused(LocalResponseNorm norm, Tensor x)
    {
        var window = LocalResponseNormKernels.Window.Of(norm.size, norm.alpha, norm.k);
        if (!is_grad_enabled() || !x.requires_grad) return Forward(x, window);
        var y = Function.Apply(x, window);
        AutogradNodeMemory.ReleaseOutputTemplates();
        return y;
    }

    /// <summary>Whether the kernels take this layer and input on this machine.</summary>
    internal static bool Runs(LocalResponseNorm norm, Tensor x) =>
        // Both the window and the channels bound the rows' buffers on the stack.
        CpuIsa.HasVectorFma && norm.beta == LocalResponseNormKernels.Beta && norm.size is >= 1 and <= LocalResponseNormKernels.MostChannels
        && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && x.dim() == 4
        && x.shape[1] <= LocalResponseNormKernels.MostChannels && RoutedConvolution.IsChannelsLast(x);

    private static Tensor Forward(Tensor x, LocalResponseNormKernels.Window window)
    {
        using var source = RoutedConvolution.ChannelsLastCopyOrNull(x) ?? x.alias();
        var y = empty_like(source);
        long channels = x.shape[1];
        ChunkSums.RunElementwise(new ForwardLoop(Data(source), Data(y), Rows(x), channels, window));
        return y;
    }

    private static Tensor Backward(Tensor x, Tensor gradOutput, LocalResponseNormKernels.Window window)
    {
        using var dy = RoutedConvolution.ChannelsLastCopyOrNull(gradOutput) ?? gradOutput.alias();
        var dx = empty_like(x);
        ChunkSums.RunElementwise(new BackwardLoop(Data(x), Data(dy), Data(dx), Rows(x), x.shape[1], window));
        return dx;
    }

    private static long Rows(Tensor x) => x.shape[0] * x.shape[2] * x.shape[3];

    private static float* Data(Tensor t) => TensorMemory.Float32(t);

    private sealed class ForwardLoop(float* x, float* y, long rows, long channels, LocalResponseNormKernels.Window window)
        : ChunkSums.Loop(rows, channels)
    {
        public override void Elementwise(long first, long end) => LocalResponseNormKernels.Forward(x, y, Channels, first, end, window);
    }

    private sealed class BackwardLoop(float* x, float* dy, float* dx, long rows, long channels, LocalResponseNormKernels.Window window)
        : ChunkSums.Loop(rows, channels)
    {
        public override void Elementwise(long first, long end) => LocalResponseNormKernels.Backward(x, dy, dx, Channels, first, end, window);
    }

    /// <summary>The autograd node: forward from the input, backward from the saved input (the divisors are recomputed).</summary>
    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "LocalResponseNorm";

        public static Tensor Apply(Tensor x, LocalResponseNormKernels.Window window) => apply(x, window);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, window) = ((Tensor)vars[0], (LocalResponseNormKernels.Window)vars[1]);
            AutogradNodeMemory.NoticeForward(ctx);
            // The input as the kernels read it, channels-last: x itself when it is already. Saved, so not disposed
            // here (TorchSharp keeps the wrapper, not a reference of its own); backward frees it.
            var source = RoutedConvolution.ChannelsLastCopyOrNull(x) ?? x;
            ctx.save_for_backward([source]);
            ctx.save_data("window", window);
            return Forward(source, window);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var dx = Backward(saved[0], gradOutput, (LocalResponseNormKernels.Window)ctx.get_data("window"));
            if (!AutogradNodeMemory.GraphsRetained)
            {
                foreach (var tensor in saved) tensor.Dispose();
                AutogradNodeMemory.ReleaseSavedTensors(ctx);
            }
            gradOutput.Dispose();
            return AutogradNodeMemory.HandOver([dx, null!]);
        }
    }
}
