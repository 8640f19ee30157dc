using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>
/// A convolution on LibTorch's native CPU kernels, forward and backward. LibTorch picks a convolution's
/// backend from a process-wide switch each time a convolution or its gradient runs, so this custom
/// autograd function turns oneDNN off for exactly those two moments. The gradient is taken by
/// re-running the forward pass under autograd inside the switch, which costs one extra native forward.
/// </summary>
internal sealed class NativeConvolution : autograd.SingleTensorFunction<NativeConvolution>
{
    public override string Name => nameof(NativeConvolution);

    /// <summary>Input N x C x H x W, weight O x C x k x k; stride and padding as (long).</summary>
    public static Tensor Apply(Tensor input, Tensor weight, long stride, long padding) => apply(input, weight, stride, padding);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, weight, stride, padding) = ((Tensor)vars[0], (Tensor)vars[1], (long)vars[2], (long)vars[3]);
        ctx.save_for_backward([input, weight]);
        ctx.save_data("stride", stride);
        ctx.save_data("padding", padding);
        ctx.save_data("input_gradient", input.requires_grad);
        using var native = NativeKernelScope.Enter();
        return nn.functional.conv2d(input, weight, null, [stride, stride], [padding, padding]);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        long stride = (long)ctx.get_data("stride");
        long padding = (long)ctx.get_data("padding");
        bool inputGradient = (bool)ctx.get_data("input_gradient");
        using var native = NativeKernelScope.Enter();
        using var grad = enable_grad();
        var input = saved[0].detach().requires_grad_(inputGradient);
        var weight = saved[1].detach().requires_grad_();
        var output = nn.functional.conv2d(input, weight, null, [stride, stride], [padding, padding]);
        var wrt = inputGradient ? new[] { input, weight } : new[] { weight };
        var gradients = autograd.grad([output], wrt, [gradOutput]);
        return inputGradient
            ? [gradients[0], gradients[1], null!, null!]
            : [null!, gradients[0], null!, null!];
    }
}

/// <summary>
/// Turns oneDNN off while any native convolution runs, on any thread, and restores the user's setting
/// when the last one ends. Counted, so overlapping scopes never switch oneDNN back on too early.
/// </summary>
internal static class NativeKernelScope
{
    private static readonly Lock Gate = new();
    private static int _depth;
    private static bool _saved;

    public static Releaser Enter()
    {
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                _saved = LibTorchContext.MkldnnEnabled;
                LibTorchContext.MkldnnEnabled = false;
            }
        }
        return new Releaser();
    }

    private static void Exit()
    {
        lock (Gate)
        {
            if (--_depth == 0) LibTorchContext.MkldnnEnabled = _saved;
        }
    }

    public readonly struct Releaser : IDisposable
    {
        public void Dispose() => Exit();
    }
}
