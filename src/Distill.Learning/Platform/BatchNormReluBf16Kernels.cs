using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Distill.Learning.Platform;

/// <summary>
/// <see cref="BatchNormReluKernels"/>' loops on bfloat16 activations (a bf16 step's convolution outputs, residuals and
/// gradients), channels a multiple of 16: the same float32 arithmetic and per-chunk float32 sums, 16 channels per
/// 512-bit vector, each value widened on load and rounded to nearest even on store (NaN stays NaN), bit for bit as
/// LibTorch rounds a tensor. Half the bytes of the float32 loops and twice their vector width: LibTorch's bfloat16 batch
/// norm, add and ReLU run on 256-bit vectors, and bf16 runs only where AVX-512 does (avx512_bf16), so these loops need
/// not give the AVX2 machines' bits. The gradient that passes the ReLU is dy or zero, so storing it in bfloat16 is exact.
/// </summary>
internal static unsafe class BatchNormReluBf16Kernels
{
    private const int Lanes = 16;

    /// <summary>Whether this machine runs these loops: 512-bit vectors in hardware.</summary>
    public static bool Supported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>Whether a tensor of this many channels fits the loops (whole vectors only).</summary>
    public static bool Fits(long channels) => channels % Lanes == 0;

    /// <summary>Per channel, the sums of (x - shift) and of its square over rows [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftedMoments(ushort* x, long channels, long first, long end, float* shift, double* sum, double* squares)
    {
        for (long c = 0; c < channels;)
        {
            var slots = new Slots(channels, c);
            var (k0, k1) = (Vector512.Load(shift + c), Vector512.Load(shift + c + slots.SecondChannel));
            Vector512<float> s0 = default, s1 = default, q0 = default, q1 = default;
            long at = first * channels + c, stop = end * channels + c;
            for (; at + slots.SecondOffset < stop; at += slots.Step)
            {
                var d0 = Load(x + at) - k0;
                var d1 = Load(x + at + slots.SecondOffset) - k1;
                s0 += d0;
                s1 += d1;
                q0 = Vector512.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector512.FusedMultiplyAdd(d1, d1, q1);
            }
            if (at < stop)
            {
                var d0 = Load(x + at) - k0;
                s0 += d0;
                q0 = Vector512.FusedMultiplyAdd(d0, d0, q0);
            }
            slots.Store(s0, s1, sum + c);
            slots.Store(q0, q1, squares + c);
            c += slots.Channels;
        }
    }

    /// <summary>y = max(0, x * scale + offset [+ residual]) over rows [first, end); <paramref name="residual"/> may be null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Output(ushort* x, ushort* residual, ushort* y, long channels, long first, long end, float* scale, float* offset)
    {
        for (long at = first * channels, stop = end * channels; at < stop; at += channels)
        for (long c = 0; c < channels; c += Lanes)
            Store(Vector512.Max(PreActivation(Load(x + at + c), residual, at + c, scale + c, offset + c), Vector512<float>.Zero), y + at + c);
    }

    /// <summary>
    /// Per channel over rows [first, end), with g the gradient that passes the ReLU (dy where the pre-activation was
    /// positive, else 0): the sums of g and of g * (x - mean). Writes g to <paramref name="passed"/> unless it is null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(ushort* x, ushort* residual, ushort* dy, ushort* passed, long channels, long first, long end,
        float* scale, float* offset, float* mean, double* gradientSum, double* centredSum)
    {
        for (long c = 0; c < channels;)
        {
            var slots = new Slots(channels, c);
            long c1 = c + slots.SecondChannel;
            var (m0, m1) = (Vector512.Load(mean + c), Vector512.Load(mean + c1));
            Vector512<float> g0 = default, g1 = default, h0 = default, h1 = default;
            long at = first * channels + c, stop = end * channels + c;
            for (; at + slots.SecondOffset < stop; at += slots.Step)
            {
                long at1 = at + slots.SecondOffset;
                var (x0, x1) = (Load(x + at), Load(x + at1));
                var d0 = Passed(x0, residual, dy, at, scale + c, offset + c);
                var d1 = Passed(x1, residual, dy, at1, scale + c1, offset + c1);
                if (passed != null)
                {
                    Store(d0, passed + at);
                    Store(d1, passed + at1);
                }
                g0 += d0;
                g1 += d1;
                h0 = Vector512.FusedMultiplyAdd(d0, x0 - m0, h0);
                h1 = Vector512.FusedMultiplyAdd(d1, x1 - m1, h1);
            }
            if (at < stop)
            {
                var x0 = Load(x + at);
                var d0 = Passed(x0, residual, dy, at, scale + c, offset + c);
                if (passed != null) Store(d0, passed + at);
                g0 += d0;
                h0 = Vector512.FusedMultiplyAdd(d0, x0 - m0, h0);
            }
            slots.Store(g0, g1, gradientSum + c);
            slots.Store(h0, h1, centredSum + c);
            c += slots.Channels;
        }
    }

    /// <summary>
    /// dx = g * scale + (x - mean) * centredScale + constant per channel over rows [first, end). With
    /// <paramref name="masked"/>, <paramref name="gradient"/> is g already (written by <see cref="GradientSums"/>);
    /// otherwise it is dy, and g is dy where x * scale + offset is positive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ushort* x, ushort* gradient, bool masked, ushort* dx, long channels, long first, long end,
        float* scale, float* offset, float* mean, float* centredScale, float* constant)
    {
        for (long at = first * channels, stop = end * channels; at < stop; at += channels)
        for (long c = 0; c < channels; c += Lanes)
        {
            var xv = Load(x + at + c);
            var g = masked ? Load(gradient + at + c) : Passed(xv, null, gradient, at + c, scale + c, offset + c);
            var rest = Vector512.FusedMultiplyAdd(xv - Vector512.Load(mean + c), Vector512.Load(centredScale + c), Vector512.Load(constant + c));
            Store(Vector512.FusedMultiplyAdd(g, Vector512.Load(scale + c), rest), dx + at + c);
        }
    }

    /// <summary>16 bfloat16 values widened to float32 (exact: a bfloat16 is a float32's upper half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ushort* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    /// <summary>16 float32 values rounded to the nearest bfloat16, ties to even, NaN to 0xFFFF (a NaN): LibTorch's vector rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ushort* p)
    {
        var bits = value.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var isNaN = ~Vector512.Equals(value, value).AsUInt32();
        Avx512F.ConvertToVector256UInt16(Vector512.ConditionalSelect(isNaN, Vector512.Create(0xFFFFu), rounded)).Store(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PreActivation(Vector512<float> x, ushort* residual, long at, float* scale, float* offset)
    {
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Load(scale), Vector512.Load(offset));
        return residual == null ? z : z + Load(residual + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Passed(Vector512<float> x, ushort* residual, ushort* dy, long at, float* scale, float* offset) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(PreActivation(x, residual, at, scale, offset), Vector512<float>.Zero),
            Load(dy + at), Vector512<float>.Zero);

    /// <summary>
    /// The two vectors a sum loop takes per iteration from channels c on: the next 32 channels of one row (one 64-byte
    /// line), or, where only 16 are left, the same 16 channels of two rows.
    /// </summary>
    private readonly struct Slots(long channels, long c)
    {
        private readonly bool _two = c + 2 * Lanes <= channels;

        public long Channels => _two ? 2 * Lanes : Lanes;

        public long SecondChannel => _two ? Lanes : 0;

        public long SecondOffset => _two ? Lanes : channels;

        public long Step => _two ? channels : 2 * channels;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Vector512<float> first, Vector512<float> second, double* into)
        {
            if (_two)
            {
                Widen(first, into);
                Widen(second, into + Lanes);
            }
            else
                Widen(first + second, into);
        }

        private static void Widen(Vector512<float> value, double* into)
        {
            var (low, high) = Vector512.Widen(value);
            low.Store(into);
            high.Store(into + Lanes / 2);
        }
    }
}
