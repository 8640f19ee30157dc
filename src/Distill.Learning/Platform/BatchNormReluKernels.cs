using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// The loops of <see cref="BatchNormRelu"/> over a channels-last float32 tensor seen as rows x channels (a row is
/// one pixel of one image), y = max(0, x * scale + offset [+ residual]) and its gradients. Each loop runs on a
/// range of rows (a chunk). Sums are taken per chunk in float32, which a chunk's few hundred rows keep accurate,
/// and stored as float64 for the caller to add up in chunk order; they walk 16 channels (one 64-byte cache line) at a
/// time down the chunk's rows with the accumulators in registers, then 8, then one (a chunk is small enough to stay
/// in the core's cache for its next group of channels). Walking 8 channels at a time halved the speed of the
/// gradient sums on 16 channels: each walk wrote half of every cache line of the residual's gradient. The elementwise loops go row by row. The backward pass recomputes the ReLU mask from the input (and
/// residual) with the forward pass's own arithmetic, so the mask is bit for bit the forward pass's and the output
/// need not be kept. Vector256 runs on AVX2 and AVX-512 machines alike, with the same bits.
/// The kernels are compiled optimised from their first call: tier-0 code of vector intrinsics is several times slower.
/// </summary>
internal static unsafe class BatchNormReluKernels
{
    private const int Lanes = 8;

    /// <summary>Rows per chunk: about 32 KB of one tensor, so a chunk's next channel block reads from cache.</summary>
    public static long RowsPerChunk(long channels) => Math.Max(1, 8192 / channels);

    /// <summary>Per channel, the sums of (x - shift) and of its square over rows [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftedMoments(float* x, long channels, long first, long end, float* shift, double* sum, double* squares)
    {
        long c = 0;
        for (; c + 2 * Lanes <= channels; c += 2 * Lanes)
        {
            var (k0, k1) = (Vector256.Load(shift + c), Vector256.Load(shift + c + Lanes));
            Vector256<float> s0 = default, s1 = default, q0 = default, q1 = default;
            for (float* p = x + first * channels + c, stop = x + end * channels + c; p < stop; p += channels)
            {
                var d0 = Vector256.Load(p) - k0;
                var d1 = Vector256.Load(p + Lanes) - k1;
                s0 += d0;
                s1 += d1;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector256.FusedMultiplyAdd(d1, d1, q1);
            }
            Widen(s0, sum + c);
            Widen(s1, sum + c + Lanes);
            Widen(q0, squares + c);
            Widen(q1, squares + c + Lanes);
        }
        for (; c + Lanes <= channels; c += Lanes)
        {
            var k = Vector256.Load(shift + c);
            Vector256<float> s0 = default, s1 = default, q0 = default, q1 = default;
            float* p = x + first * channels + c;
            long r = first;
            for (; r + 2 <= end; r += 2, p += 2 * channels)
            {
                var d0 = Vector256.Load(p) - k;
                var d1 = Vector256.Load(p + channels) - k;
                s0 += d0;
                s1 += d1;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector256.FusedMultiplyAdd(d1, d1, q1);
            }
            if (r < end)
            {
                var d0 = Vector256.Load(p) - k;
                s0 += d0;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
            }
            Widen(s0 + s1, sum + c);
            Widen(q0 + q1, squares + c);
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
                Vector256.Max(PreActivation(x, residual, at + c, scale + c, offset + c), Vector256<float>.Zero).Store(y + at + c);
            for (; c < channels; c++)
                y[at + c] = MathF.Max(PreActivation(x, residual, at + c, scale[c], offset[c]), 0f);
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
        for (; c + 2 * Lanes <= channels; c += 2 * Lanes)
        {
            var (m0, m1) = (Vector256.Load(mean + c), Vector256.Load(mean + c + Lanes));
            Vector256<float> g0 = default, g1 = default, h0 = default, h1 = default;
            for (long r = first; r < end; r++)
            {
                long at0 = r * channels + c, at1 = at0 + Lanes;
                var d0 = Passed(x, residual, dy, at0, scale + c, offset + c);
                var d1 = Passed(x, residual, dy, at1, scale + c + Lanes, offset + c + Lanes);
                if (passed != null)
                {
                    d0.Store(passed + at0);
                    d1.Store(passed + at1);
                }
                g0 += d0;
                g1 += d1;
                h0 = Vector256.FusedMultiplyAdd(d0, Vector256.Load(x + at0) - m0, h0);
                h1 = Vector256.FusedMultiplyAdd(d1, Vector256.Load(x + at1) - m1, h1);
            }
            Widen(g0, gradientSum + c);
            Widen(g1, gradientSum + c + Lanes);
            Widen(h0, centredSum + c);
            Widen(h1, centredSum + c + Lanes);
        }
        for (; c + Lanes <= channels; c += Lanes)
        {
            var m = Vector256.Load(mean + c);
            Vector256<float> g0 = default, g1 = default, h0 = default, h1 = default;
            long r = first;
            for (; r + 2 <= end; r += 2)
            {
                long at0 = r * channels + c, at1 = at0 + channels;
                var d0 = Passed(x, residual, dy, at0, scale + c, offset + c);
                var d1 = Passed(x, residual, dy, at1, scale + c, offset + c);
                if (passed != null)
                {
                    d0.Store(passed + at0);
                    d1.Store(passed + at1);
                }
                g0 += d0;
                g1 += d1;
                h0 = Vector256.FusedMultiplyAdd(d0, Vector256.Load(x + at0) - m, h0);
                h1 = Vector256.FusedMultiplyAdd(d1, Vector256.Load(x + at1) - m, h1);
            }
            if (r < end)
            {
                long at0 = r * channels + c;
                var d0 = Passed(x, residual, dy, at0, scale + c, offset + c);
                if (passed != null) d0.Store(passed + at0);
                g0 += d0;
                h0 = Vector256.FusedMultiplyAdd(d0, Vector256.Load(x + at0) - m, h0);
            }
            Widen(g0 + g1, gradientSum + c);
            Widen(h0 + h1, centredSum + c);
        }
        for (; c < channels; c++)
        {
            float g = 0, h = 0;
            for (long r = first; r < end; r++)
            {
                long at = r * channels + c;
                float d = PreActivation(x, residual, at, scale[c], offset[c]) > 0 ? dy[at] : 0f;
                if (passed != null) passed[at] = d;
                g += d;
                h = MathF.FusedMultiplyAdd(d, x[at] - mean[c], h);
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
                var g = masked ? Vector256.Load(gradient + at + c) : Passed(x, null, gradient, at + c, scale + c, offset + c);
                var rest = Vector256.FusedMultiplyAdd(Vector256.Load(x + at + c) - Vector256.Load(mean + c), Vector256.Load(centredScale + c),
                    Vector256.Load(constant + c));
                Vector256.FusedMultiplyAdd(g, Vector256.Load(scale + c), rest).Store(dx + at + c);
            }
            for (; c < channels; c++)
            {
                float g = masked || PreActivation(x, null, at + c, scale[c], offset[c]) > 0 ? gradient[at + c] : 0f;
                dx[at + c] = MathF.FusedMultiplyAdd(g, scale[c], MathF.FusedMultiplyAdd(x[at + c] - mean[c], centredScale[c], constant[c]));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PreActivation(float* x, float* residual, long at, float* scale, float* offset)
    {
        var z = Vector256.FusedMultiplyAdd(Vector256.Load(x + at), Vector256.Load(scale), Vector256.Load(offset));
        return residual == null ? z : z + Vector256.Load(residual + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PreActivation(float* x, float* residual, long at, float scale, float offset)
    {
        float z = MathF.FusedMultiplyAdd(x[at], scale, offset);
        return residual == null ? z : z + residual[at];
    }

    /// <summary>dy where the pre-activation was positive, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Passed(float* x, float* residual, float* dy, long at, float* scale, float* offset) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(PreActivation(x, residual, at, scale, offset), Vector256<float>.Zero),
            Vector256.Load(dy + at), Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(Vector256<float> value, double* into)
    {
        var (low, high) = Vector256.Widen(value);
        low.Store(into);
        high.Store(into + 4);
    }
}
