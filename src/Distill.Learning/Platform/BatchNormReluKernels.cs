using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// The loops of <see cref="BatchNormRelu"/> over a channels-last float32 tensor seen as rows x channels (a row is
/// one pixel of one image), y = max(0, x * scale + offset [+ residual]) and its gradients. Each loop runs on a
/// range of rows (a chunk). Sums are taken per chunk in float32, which a chunk's few hundred rows keep accurate,
/// and stored as float64 for the caller to add up in chunk order; they walk 16 channels (one 64-byte cache line) at a
/// time down the chunk's rows with the accumulators in registers, then 8 (two rows at a time), then one (a chunk is
/// small enough to stay in the core's cache for its next group of channels). Walking 8 channels at a time halved the
/// speed of the gradient sums on 16 channels: each walk wrote half of every cache line of the residual's gradient. The elementwise loops go row by row. The backward pass recomputes the ReLU mask from the input (and
/// residual) with the forward pass's own arithmetic, so the mask is bit for bit the forward pass's and the output
/// need not be kept. Vector256 runs on AVX2 and AVX-512 machines alike, with the same bits.
/// The kernels are compiled optimised from their first call: tier-0 code of vector intrinsics is several times slower.
/// </summary>
internal static unsafe class BatchNormReluKernels
{
    /// <summary>
    /// The implementation revision of these loops and <see cref="BatchNormReluBf16Kernels"/> (see <see
    /// cref="ConvolutionRouting.Revision"/>). 2: bfloat16 activations fused too (float32 bits unchanged).
    /// </summary>
    public const int Revision = 2;

    private const int Lanes = 8;

    /// <summary>Rows per chunk: about 32 KB of one tensor, so a chunk's next channel block reads from cache.</summary>
    public static long RowsPerChunk(long channels) => Math.Max(1, 8192 / channels);

    /// <summary>Per channel, the sums of (x - shift) and of its square over rows [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftedMoments(float* x, long channels, long first, long end, float* shift, double* sum, double* squares)
    {
        long c = 0;
        while (c + Lanes <= channels)
        {
            var slots = new Slots(channels, c);
            var (k0, k1) = (Vector256.Load(shift + c), Vector256.Load(shift + c + slots.SecondChannel));
            Vector256<float> s0 = default, s1 = default, q0 = default, q1 = default;
            long at = first * channels + c, stop = end * channels + c;
            for (; at + slots.SecondOffset < stop; at += slots.Step)
            {
                var d0 = Vector256.Load(x + at) - k0;
                var d1 = Vector256.Load(x + at + slots.SecondOffset) - k1;
                s0 += d0;
                s1 += d1;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector256.FusedMultiplyAdd(d1, d1, q1);
            }
            if (at < stop)
            {
                var d0 = Vector256.Load(x + at) - k0;
                s0 += d0;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
            }
            slots.Store(s0, s1, sum + c);
            slots.Store(q0, q1, squares + c);
            c += slots.Channels;
        }
        for (; c < channels; c++)
        {
            float s = 0, q = 0;
            for (long r = first; r < end; r++)
            {
                float d = x[r * channels + c] - shift[c];
                s += d;
                q = MathF.FusedMultiplyAdd(d, d, q);
            }
            sum[c] = s;
            squares[c] = q;
        }
    }

    /// <summary>y = max(0, x * scale + offset [+ residual]) over rows [first, end); <paramref name="residual"/> may be null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Output(float* x, float* residual, float* y, long channels, long first, long end, float* scale, float* offset)
    {
        for (long r = first; r < end; r++)
        {
            long at = r * channels;
            long c = 0;
            for (; c + Lanes <= channels; c += Lanes)
                Vector256.Max(PreActivation(Vector256.Load(x + at + c), residual, at + c, scale + c, offset + c), Vector256<float>.Zero).Store(y + at + c);
            for (; c < channels; c++)
                y[at + c] = MathF.Max(PreActivation(x[at + c], residual, at + c, scale[c], offset[c]), 0f);
        }
    }

    /// <summary>
    /// Per channel over rows [first, end), with g the gradient that passes the ReLU (dy where the pre-activation was
    /// positive, else 0): the sums of g and of g * (x - mean). Writes g to <paramref name="passed"/> unless it is null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(float* x, float* residual, float* dy, float* passed, long channels, long first, long end,
        float* scale, float* offset, float* mean, double* gradientSum, double* centredSum)
    {
        long c = 0;
        while (c + Lanes <= channels)
        {
            var slots = new Slots(channels, c);
            long c1 = c + slots.SecondChannel;
            var (m0, m1) = (Vector256.Load(mean + c), Vector256.Load(mean + c1));
            Vector256<float> g0 = default, g1 = default, h0 = default, h1 = default;
            long at = first * channels + c, stop = end * channels + c;
            for (; at + slots.SecondOffset < stop; at += slots.Step)
            {
                // x is loaded once, before the stores: a load after them would wait on them (the buffers' addresses agree in their low 12 bits).
                long at1 = at + slots.SecondOffset;
                var (x0, x1) = (Vector256.Load(x + at), Vector256.Load(x + at1));
                var d0 = Passed(x0, residual, dy, at, scale + c, offset + c);
                var d1 = Passed(x1, residual, dy, at1, scale + c1, offset + c1);
                if (passed != null)
                {
                    d0.Store(passed + at);
                    d1.Store(passed + at1);
                }
                g0 += d0;
                g1 += d1;
                h0 = Vector256.FusedMultiplyAdd(d0, x0 - m0, h0);
                h1 = Vector256.FusedMultiplyAdd(d1, x1 - m1, h1);
            }
            if (at < stop)
            {
                var x0 = Vector256.Load(x + at);
                var d0 = Passed(x0, residual, dy, at, scale + c, offset + c);
                if (passed != null) d0.Store(passed + at);
                g0 += d0;
                h0 = Vector256.FusedMultiplyAdd(d0, x0 - m0, h0);
            }
            slots.Store(g0, g1, gradientSum + c);
            slots.Store(h0, h1, centredSum + c);
            c += slots.Channels;
        }
        for (; c < channels; c++)
        {
            float g = 0, h = 0;
            for (long r = first; r < end; r++)
            {
                long at = r * channels + c;
                float xv = x[at];
                float d = PreActivation(xv, residual, at, scale[c], offset[c]) > 0 ? dy[at] : 0f;
                if (passed != null) passed[at] = d;
                g += d;
                h = MathF.FusedMultiplyAdd(d, xv - mean[c], h);
            }
            gradientSum[c] = g;
            centredSum[c] = h;
        }
    }

    /// <summary>
    /// dx = g * gradientScale + (x - mean) * centredScale + constant per channel over rows [first, end). With
    /// <paramref name="masked"/>, <paramref name="gradient"/> is g already (written by <see cref="GradientSums"/>);
    /// otherwise it is dy, and g is dy where x * scale + offset is positive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(float* x, float* gradient, bool masked, float* dx, long channels, long first, long end, float* scale,
        float* offset, float* mean, float* centredScale, float* constant)
    {
        for (long r = first; r < end; r++)
        {
            long at = r * channels;
            long c = 0;
            for (; c + Lanes <= channels; c += Lanes)
            {
                var xv = Vector256.Load(x + at + c);
                var g = masked ? Vector256.Load(gradient + at + c) : Passed(xv, null, gradient, at + c, scale + c, offset + c);
                var rest = Vector256.FusedMultiplyAdd(xv - Vector256.Load(mean + c), Vector256.Load(centredScale + c), Vector256.Load(constant + c));
                Vector256.FusedMultiplyAdd(g, Vector256.Load(scale + c), rest).Store(dx + at + c);
            }
            for (; c < channels; c++)
            {
                float xv = x[at + c];
                float g = masked || PreActivation(xv, null, at + c, scale[c], offset[c]) > 0 ? gradient[at + c] : 0f;
                dx[at + c] = MathF.FusedMultiplyAdd(g, scale[c], MathF.FusedMultiplyAdd(xv - mean[c], centredScale[c], constant[c]));
            }
        }
    }

    /// <summary>x * scale + offset [+ residual at <paramref name="at"/>], with the same arithmetic in every pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PreActivation(Vector256<float> x, float* residual, long at, float* scale, float* offset)
    {
        var z = Vector256.FusedMultiplyAdd(x, Vector256.Load(scale), Vector256.Load(offset));
        return residual == null ? z : z + Vector256.Load(residual + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PreActivation(float x, float* residual, long at, float scale, float offset)
    {
        float z = MathF.FusedMultiplyAdd(x, scale, offset);
        return residual == null ? z : z + residual[at];
    }

    /// <summary>dy where the pre-activation was positive, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Passed(Vector256<float> x, float* residual, float* dy, long at, float* scale, float* offset) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(PreActivation(x, residual, at, scale, offset), Vector256<float>.Zero),
            Vector256.Load(dy + at), Vector256<float>.Zero);

    /// <summary>
    /// The two vectors a sum loop takes per iteration from channels c on: the next 16 channels of one row (one
    /// 64-byte line), or, where only 8 are left, the same 8 channels of two rows.
    /// </summary>
    private readonly struct Slots(long channels, long c)
    {
        private readonly bool _sixteen = c + 2 * Lanes <= channels;

        /// <summary>How many channels the loop covers.</summary>
        public long Channels => _sixteen ? 2 * Lanes : Lanes;

        /// <summary>The second vector's first channel, relative to c.</summary>
        public long SecondChannel => _sixteen ? Lanes : 0;

        /// <summary>The second vector's position relative to the first's.</summary>
        public long SecondOffset => _sixteen ? Lanes : channels;

        /// <summary>Elements from one iteration to the next.</summary>
        public long Step => _sixteen ? channels : 2 * channels;

        /// <summary>Stores the per-channel sums as float64: one vector each for 16 channels, the two added for 8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Vector256<float> first, Vector256<float> second, double* into)
        {
            if (_sixteen)
            {
                Widen(first, into);
                Widen(second, into + Lanes);
            }
            else
                Widen(first + second, into);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(Vector256<float> value, double* into)
    {
        var (low, high) = Vector256.Widen(value);
        low.Store(into);
        high.Store(into + 4);
    }
}
