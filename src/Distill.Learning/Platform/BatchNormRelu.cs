using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Platform;

/// <summary>
/// relu(batch_norm(x) [+ residual]) as one operation of ours on channels-last float32 CPU tensors, and on bfloat16 ones
/// (a bf16 step's activations) where AVX-512 runs and the channels are a multiple of 16 (<see
/// cref="BatchNormReluBf16Kernels"/>; float32 statistics and parameters, bfloat16 output and gradients): the pair that
/// follows most convolutions of a ResNet, WRN or VGG, and the triple that ends a residual block. LibTorch runs them
/// as separate memory-bound kernels: batch norm reads its input three times and writes once, the add and the ReLU
/// read and write again, and their backward passes read and write eight more times. Fused, the forward pass reads
/// the input twice (moments, then the output) and writes once; the backward pass recomputes the ReLU mask from the
/// input and reads it and the gradient twice: 8 passes over memory instead of 14 for batch norm + ReLU, 11 instead
/// of 17 with the residual add (whose gradient it writes once more).
/// The statistics are summed per fixed chunk of rows and the chunks in order, so results do not depend on the
/// thread count nor on which thread ran a chunk; they agree with LibTorch's to float32 rounding, not to the bit
/// (<see cref="BatchNormReluSelfCheck"/> compares both against float64 before first use, each precision on its own).
/// Anything else (other types, bfloat16 without AVX-512 or on other channel counts, NCHW tensors, a GPU, a layer
/// without affine parameters or momentum, a CPU without AVX2 and FMA, <see cref="Enabled"/> off, a failed self-check)
/// runs LibTorch's batch norm, add and ReLU as before. The backward pass is not itself
/// differentiable (no second derivatives through it) and frees what it saved, so a graph through it is differentiated
/// once (no retain_graph); no Distill loss does otherwise.
/// </summary>
public static unsafe class BatchNormRelu
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>
    /// Whether eligible layers run fused on this thread (the default). <see cref="Training.NonFiniteLocator"/> turns it
    /// off while it replays a step, so its probes see batch norm and ReLU as the separate modules they are; the
    /// self-check and the benchmarks turn it off to run LibTorch's kernels.
    /// </summary>
    public static bool Enabled
    {
        get => !_disabled;
        set => _disabled = !value;
    }

    /// <summary>Whether the fused kernels run on LibTorch's OpenMP threads (else on the calling thread alone).</summary>
    public static bool UsesLibTorchThreads => OpenMpTeam.IsAvailable;

    /// <summary>relu(norm(x) + residual): the module's forward pass (running statistics updated in training), the add when a residual is given, and ReLU.</summary>
    public static Tensor Apply(BatchNorm2d norm, Tensor x, Tensor? residual = null) =>
        Fuses(norm, x, residual) ? Fused(norm, x, residual) : Unfused(norm, x, residual);

    /// <summary>relu(norm(x)) for a batch norm and a ReLU module that follow each other in a Sequential: unfused, both modules run (with their hooks).</summary>
    public static Tensor Apply(BatchNorm2d norm, Tensor x, ReLU relu)
    {
        if (Fuses(norm, x, null)) return Fused(norm, x, null);
        using var normalized = norm.call(x);
        return relu.call(normalized);
    }

    /// <summary>LibTorch's kernels, as the models ran them before: batch norm, in-place add, in-place ReLU.</summary>
    internal static Tensor Unfused(BatchNorm2d norm, Tensor x, Tensor? residual)
    {
        var y = norm.call(x);
        if (residual is not null) y.add_(residual);
        return y.relu_();
    }

    /// <summary>The fused operation without the eligibility and self-check gates (the self-check calls it directly).</summary>
    internal static Tensor Fused(BatchNorm2d norm, Tensor x, Tensor? residual)
    {
        using var residualCopy = residual is null ? null : RoutedConvolution.ChannelsLastCopyOrNull(residual);
        var r = residualCopy ?? residual;
        if (!norm.training) return Evaluate(norm, x, r);
        if (!Differentiated(norm, x, r)) return Train(norm, x, r, out _);
        var y = r is null ? FusedFunction.Apply(x, norm.weight, norm.bias!, norm) : FusedResidualFunction.Apply(x, norm.weight, norm.bias!, r, norm);
        AutogradNodeMemory.ReleaseOutputTemplates();
        return y;
    }

    /// <summary>Whether the fused kernels take this call: the tensors are theirs to run, and their self-check passed.</summary>
    private static bool Fuses(BatchNorm2d norm, Tensor x, Tensor? residual) =>
        Runs(norm, x, residual) && (x.dtype == ScalarType.BFloat16 ? BatchNormReluSelfCheck.PassedBf16 : BatchNormReluSelfCheck.Passed);

    /// <summary>Whether the kernels take activations of this type and channel count on this machine.</summary>
    private static bool Handles(ScalarType type, long channels) => type switch
    {
        ScalarType.Float32 => CpuIsa.HasVectorFma,
        ScalarType.BFloat16 => BatchNormReluBf16Kernels.Supported && BatchNormReluBf16Kernels.Fits(channels),
        _ => false,
    };

    /// <summary>Whether autograd needs a backward pass through this call.</summary>
    private static bool Differentiated(BatchNorm2d norm, Tensor x, Tensor? residual) =>
        is_grad_enabled() && (x.requires_grad || norm.weight.requires_grad || norm.bias!.requires_grad || residual?.requires_grad == true);

    private static bool Runs(BatchNorm2d norm, Tensor x, Tensor? residual) =>
        !_disabled && x.device_type == DeviceType.CPU && x.dim() == 4 && Handles(x.dtype, x.shape[1])
        && x.shape[0] * x.shape[2] * x.shape[3] > 1 && RoutedConvolution.IsChannelsLast(x)
        && (residual is null || (residual.device_type == DeviceType.CPU && residual.dtype == x.dtype && residual.shape.SequenceEqual(x.shape)))
        && norm.affine && norm.weight is { dtype: ScalarType.Float32 } w && w.is_contiguous() && norm.bias is { } b && b.is_contiguous()
        && (norm.training
            ? norm.momentum is not null
            // Evaluation that something differentiates (rare) stays on LibTorch: only training has a backward pass here.
            : norm.running_mean is not null && norm.running_var is not null && !Differentiated(norm, x, residual));

    private static Tensor Evaluate(BatchNorm2d norm, Tensor x, Tensor? residual)
    {
        long channels = x.shape[1];
        var scale = new float[channels];
        var offset = new float[channels];
        float* weight = Data(norm.weight), bias = Data(norm.bias!), mean = Data(norm.running_mean!), variance = Data(norm.running_var!);
        for (long c = 0; c < channels; c++)
        {
            double invstd = 1 / Math.Sqrt(variance[c] + norm.eps);
            scale[c] = (float)(weight[c] * invstd);
            offset[c] = (float)(bias[c] - mean[c] * (double)scale[c]);
        }
        return Output(x, residual, scale, offset);
    }

    /// <summary>The training forward pass: batch statistics, running statistics, output; <paramref name="saved"/> is what backward needs.</summary>
    private static Tensor Train(BatchNorm2d norm, Tensor x, Tensor? residual, out Statistics saved)
    {
        long channels = x.shape[1], rows = x.numel() / channels;
        saved = new Statistics(channels, rows);
        // Moments about the first row, which keeps a variance small next to its mean from cancelling.
        var shift = FirstRow(x);
        double[] sum, squares;
        fixed (float* k = shift)
            (sum, squares) = ChunkSums.Run(new MomentsLoop(Address(x), IsBf16(x), k, rows, channels));

        float* weight = Data(norm.weight), bias = Data(norm.bias!);
        var batchMean = new double[channels];
        var batchVariance = new double[channels];
        for (long c = 0; c < channels; c++)
        {
            double centredMean = sum[c] / rows;
            batchVariance[c] = Math.Max(squares[c] / rows - centredMean * centredMean, 0);
            batchMean[c] = shift[c] + centredMean;
            double invstd = 1 / Math.Sqrt(batchVariance[c] + norm.eps);
            saved.Mean[c] = (float)batchMean[c];
            saved.Invstd[c] = (float)invstd;
            saved.Scale[c] = (float)(weight[c] * invstd);
            saved.Offset[c] = (float)(bias[c] - batchMean[c] * saved.Scale[c]);
        }
        UpdateRunningStatistics(norm, batchMean, batchVariance, rows);
        return Output(x, residual, saved.Scale, saved.Offset);
    }

    private static void UpdateRunningStatistics(BatchNorm2d norm, double[] mean, double[] variance, long rows)
    {
        if (!norm.track_running_stats || norm.running_mean is null || norm.running_var is null) return;
        double factor = norm.momentum!.Value;
        if (norm.num_batches_tracked is { } tracked)
        {
            using (no_grad()) tracked.add_(1);
            // As TorchSharp's BatchNorm: momentum 0 means a cumulative average.
            if (factor == 0) factor = 1.0 / tracked.item<long>();
        }
        float* runningMean = Data(norm.running_mean), runningVariance = Data(norm.running_var);
        for (int c = 0; c < mean.Length; c++)
        {
            runningMean[c] = (float)((1 - factor) * runningMean[c] + factor * mean[c]);
            // LibTorch keeps the unbiased variance.
            runningVariance[c] = (float)((1 - factor) * runningVariance[c] + factor * variance[c] * rows / (rows - 1));
        }
    }

    private static Tensor Output(Tensor x, Tensor? residual, float[] scale, float[] offset)
    {
        var y = empty_like(x);
        long channels = x.shape[1];
        fixed (float* a = scale, s = offset)
            ChunkSums.RunElementwise(new OutputLoop(Address(x), IsBf16(x), residual is null ? null : Address(residual), Address(y), a, s,
                x.numel() / channels, channels));
        return y;
    }

    /// <summary>Gradients of input, weight, bias and (with a residual) residual.</summary>
    private static (Tensor? Input, Tensor Weight, Tensor Bias, Tensor? Residual) Backward(Tensor x, Tensor? residual, Tensor gradOutput,
        Statistics saved, bool inputGradient)
    {
        long channels = saved.Channels, rows = saved.Rows;
        // Autograd hands a gradient of the output's type; the loops read raw memory, so anything else is converted, not misread.
        using var converted = gradOutput.dtype == x.dtype ? null : gradOutput.to(x.dtype);
        using var dyCopy = RoutedConvolution.ChannelsLastCopyOrNull(converted ?? gradOutput);
        var dy = dyCopy ?? converted ?? gradOutput;
        // With a residual, the gradient that passes the ReLU is the residual's gradient too: written once, read back below.
        var passed = residual is null ? null : empty_like(x);
        double[] gradientSum, centredSum;
        fixed (float* a = saved.Scale, s = saved.Offset, m = saved.Mean)
            (gradientSum, centredSum) = ChunkSums.Run(new GradientSumsLoop(Address(x), IsBf16(x), residual is null ? null : Address(residual),
                Address(dy), passed is null ? null : Address(passed), a, s, m, rows, channels));

        var weightGradient = empty(channels, ScalarType.Float32);
        var biasGradient = empty(channels, ScalarType.Float32);
        float* dw = Data(weightGradient), db = Data(biasGradient);
        var centredScale = new float[channels];
        var constant = new float[channels];
        for (long c = 0; c < channels; c++)
        {
            double invstd = saved.Invstd[c], scale = saved.Scale[c];
            dw[c] = (float)(centredSum[c] * invstd);
            db[c] = (float)gradientSum[c];
            // dx = scale * (g - mean(g) - (x - mean) * invstd^2 * mean(g * (x - mean)))
            centredScale[c] = (float)(-scale * invstd * invstd * centredSum[c] / rows);
            constant[c] = (float)(-scale * gradientSum[c] / rows);
        }
        if (!inputGradient) return (null, weightGradient, biasGradient, passed);

        var dx = empty_like(x);
        fixed (float* a = saved.Scale, s = saved.Offset, m = saved.Mean, cs = centredScale, k = constant)
            ChunkSums.RunElementwise(new InputGradientLoop(Address(x), IsBf16(x), passed is null ? Address(dy) : Address(passed), passed is not null,
                Address(dx), a, s, m, cs, k, rows, channels));
        return (dx, weightGradient, biasGradient, passed);
    }

    private static float* Data(Tensor t) => TensorMemory.Float32(t);

    private static void* Address(Tensor t) => TensorMemory.Address(t);

    private static bool IsBf16(Tensor t) => t.dtype == ScalarType.BFloat16;

    /// <summary>The first row's values (one per channel) in float32.</summary>
    private static float[] FirstRow(Tensor x)
    {
        var row = new float[x.shape[1]];
        if (IsBf16(x))
        {
            var values = new ReadOnlySpan<ushort>(Address(x), row.Length);
            for (int c = 0; c < row.Length; c++) row[c] = BitConverter.Int32BitsToSingle(values[c] << 16);
        }
        else
            new ReadOnlySpan<float>(Data(x), row.Length).CopyTo(row);
        return row;
    }

    /// <summary>Per channel: the batch's mean and 1/sqrt(var + eps), and the output's scale and offset (x * scale + offset).</summary>
    private sealed class Statistics(long channels, long rows)
    {
        public long Channels { get; } = channels;
        public long Rows { get; } = rows;
        public float[] Mean { get; } = new float[channels];
        public float[] Invstd { get; } = new float[channels];
        public float[] Scale { get; } = new float[channels];
        public float[] Offset { get; } = new float[channels];
    }

    // The loops below take activations as untyped addresses: float32 ones, or bfloat16 ones where bf16 is set.

    private sealed class MomentsLoop(void* x, bool bf16, float* shift, long rows, long channels) : ChunkSums.Loop(rows, channels)
    {
        public override void Sum(long first, long end, double* sum, double* second)
        {
            if (bf16) BatchNormReluBf16Kernels.ShiftedMoments((ushort*)x, Channels, first, end, shift, sum, second);
            else BatchNormReluKernels.ShiftedMoments((float*)x, Channels, first, end, shift, sum, second);
        }
    }

    private sealed class OutputLoop(void* x, bool bf16, void* residual, void* y, float* scale, float* offset, long rows, long channels)
        : ChunkSums.Loop(rows, channels)
    {
        public override void Elementwise(long first, long end)
        {
            if (bf16) BatchNormReluBf16Kernels.Output((ushort*)x, (ushort*)residual, (ushort*)y, Channels, first, end, scale, offset);
            else BatchNormReluKernels.Output((float*)x, (float*)residual, (float*)y, Channels, first, end, scale, offset);
        }
    }

    private sealed class GradientSumsLoop(void* x, bool bf16, void* residual, void* dy, void* passed, float* scale, float* offset, float* mean,
        long rows, long channels) : ChunkSums.Loop(rows, channels)
    {
        public override void Sum(long first, long end, double* sum, double* second)
        {
            if (bf16)
                BatchNormReluBf16Kernels.GradientSums((ushort*)x, (ushort*)residual, (ushort*)dy, (ushort*)passed, Channels, first, end, scale,
                    offset, mean, sum, second);
            else
                BatchNormReluKernels.GradientSums((float*)x, (float*)residual, (float*)dy, (float*)passed, Channels, first, end, scale, offset,
                    mean, sum, second);
        }
    }

    private sealed class InputGradientLoop(void* x, bool bf16, void* gradient, bool masked, void* dx, float* scale, float* offset, float* mean,
        float* centredScale, float* constant, long rows, long channels) : ChunkSums.Loop(rows, channels)
    {
        public override void Elementwise(long first, long end)
        {
            if (bf16)
                BatchNormReluBf16Kernels.InputGradient((ushort*)x, (ushort*)gradient, masked, (ushort*)dx, Channels, first, end, scale, offset,
                    mean, centredScale, constant);
            else
                BatchNormReluKernels.InputGradient((float*)x, (float*)gradient, masked, (float*)dx, Channels, first, end, scale, offset, mean,
                    centredScale, constant);
        }
    }

    /// <summary>Frees what backward read, now rather than at the end of the step (see <see cref="AutogradNodeMemory"/>).</summary>
    private static void ReleaseInputs(autograd.AutogradContext ctx, List<Tensor> saved, Tensor gradOutput)
    {
        foreach (var tensor in saved) tensor.Dispose();
        gradOutput.Dispose();
        AutogradNodeMemory.ReleaseSavedTensors(ctx);
    }

    /// <summary>The autograd node of relu(batch_norm(x)): forward as <see cref="Train"/>, backward from the saved input and statistics.</summary>
    private sealed class FusedFunction : autograd.SingleTensorFunction<FusedFunction>
    {
        public override string Name => "BatchNormRelu";

        public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, BatchNorm2d norm) => apply(x, weight, bias, norm);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, norm) = ((Tensor)vars[0], (BatchNorm2d)vars[3]);
            var y = Train(norm, x, null, out var saved);
            AutogradNodeMemory.NoticeForward(ctx);
            ctx.save_for_backward([x]);
            ctx.save_data("statistics", saved);
            ctx.save_data("input_gradient", x.requires_grad);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var (dx, dw, db, _) = Backward(saved[0], null, gradOutput, (Statistics)ctx.get_data("statistics"), (bool)ctx.get_data("input_gradient"));
            ReleaseInputs(ctx, saved, gradOutput);
            return AutogradNodeMemory.HandOver([dx!, dw, db, null!]);
        }
    }

    /// <summary>The autograd node of relu(batch_norm(x) + residual).</summary>
    private sealed class FusedResidualFunction : autograd.SingleTensorFunction<FusedResidualFunction>
    {
        public override string Name => "BatchNormAddRelu";

        public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, Tensor residual, BatchNorm2d norm) => apply(x, weight, bias, residual, norm);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, residual, norm) = ((Tensor)vars[0], (Tensor)vars[3], (BatchNorm2d)vars[4]);
            var y = Train(norm, x, residual, out var saved);
            AutogradNodeMemory.NoticeForward(ctx);
            ctx.save_for_backward([x, residual]);
            ctx.save_data("statistics", saved);
            ctx.save_data("input_gradient", x.requires_grad);
            ctx.save_data("residual_gradient", residual.requires_grad);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var (dx, dw, db, dr) = Backward(saved[0], saved[1], gradOutput, (Statistics)ctx.get_data("statistics"), (bool)ctx.get_data("input_gradient"));
            ReleaseInputs(ctx, saved, gradOutput);
            if (!(bool)ctx.get_data("residual_gradient"))
            {
                dr!.Dispose();
                dr = null;
            }
            return AutogradNodeMemory.HandOver([dx!, dw, db, dr!, null!]);
        }
    }
}
