using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// Local response normalisation across channels, y = x / (k + alpha/size * sum of x^2 over the window)^beta, and its
/// input gradient, on a channels-last float32 tensor seen as rows x channels (a row is one pixel of one image, its
/// channels contiguous). LibTorch computes it as nine operations, among them a 3-D average pool over a 5-D view that
/// runs element by element, and differentiates each: most of the paper's AlexNet step. Here each is one pass over
/// the rows. The window of channel c runs from c - size/2 to c + (size-1)/2 (PyTorch's, zero beyond the ends), and
/// its sums are taken in that order. Only beta = 3/4 (TensorFlow's and the paper's AlexNet) runs here:
/// d^(3/4) = sqrt(d) sqrt(sqrt(d)), whose correctly rounded square roots give the same bits on every machine, as a
/// general power would not. Vector256 runs on AVX2 and AVX-512 machines alike, with the same bits.
/// </summary>
internal static unsafe class LocalResponseNormKernels
{
    /// <summary>The implementation revision of these loops (see <see cref="ConvolutionRouting.Revision"/>).</summary>
    public const int Revision = 1;

    /// <summary>The only exponent the loops compute.</summary>
    public const double Beta = 0.75;

    /// <summary>Most channels a row may have, and the widest window (a row's sums are kept on the stack).</summary>
    public const long MostChannels = 1024;

    private const int Lanes = 8;

    /// <summary>One layer's settings as the loops use them.</summary>
    public readonly record struct Window(int Size, float AlphaOverSize, float K)
    {
        /// <summary>Channels before a channel in its window (PyTorch pads size/2 before, (size-1)/2 after).</summary>
        public int Before => Size / 2;

        public int After => (Size - 1) / 2;

        public static Window Of(long size, double alpha, double k) => new((int)size, (float)(alpha / size), (float)k);
    }

    /// <summary>y = x / d^(3/4) over rows [first, end), d = k + alpha/size * (window sum of x^2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* x, float* y, long channels, long first, long end, in Window window)
    {
        int c = (int)channels;
        float* squares = stackalloc float[c + window.Size];
        float* d = stackalloc float[c];
        for (long r = first; r < end; r++)
        {
            float* row = x + r * channels, output = y + r * channels;
            Divisors(row, c, window, squares, d);
            int i = 0;
            for (; i + Lanes <= c; i += Lanes)
                (Vector256.Load(row + i) / Power(Vector256.Load(d + i))).Store(output + i);
            for (; i < c; i++)
                output[i] = row[i] / Power(d[i]);
        }
    }

    /// <summary>
    /// dx over rows [first, end) from dy: dx_j = dy_j / d_j^(3/4) - (2 alpha beta / size) x_j * sum over the channels c
    /// whose window holds j of dy_c x_c / d_c^(7/4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(float* x, float* dy, float* dx, long channels, long first, long end, in Window window)
    {
        int c = (int)channels;
        float* squares = stackalloc float[c + window.Size];
        float* d = stackalloc float[c];
        float* p = stackalloc float[c];
        // Terms padded by the window's reach on both sides, as the squares are, so every sum reads in bounds.
        float* terms = stackalloc float[c + window.Size];
        float* t = terms + window.After;
        new Span<float>(terms, c + window.Size).Clear();
        var scale = Vector256.Create(2 * window.AlphaOverSize * (float)Beta);
        for (long r = first; r < end; r++)
        {
            float* row = x + r * channels, gradient = dy + r * channels, output = dx + r * channels;
            Divisors(row, c, window, squares, d);
            int i = 0;
            for (; i + Lanes <= c; i += Lanes)
            {
                var power = Power(Vector256.Load(d + i));
                power.Store(p + i);
                (Vector256.Load(gradient + i) * Vector256.Load(row + i) / (power * Vector256.Load(d + i))).Store(t + i);
            }
            for (; i < c; i++)
            {
                p[i] = Power(d[i]);
                t[i] = gradient[i] * row[i] / (p[i] * d[i]);
            }
            // Channel j is in the windows of channels j - After .. j + Before: a window of the other orientation.
            for (i = 0; i + Lanes <= c; i += Lanes)
            {
                var sum = Vector256.Load(t + i - window.After);
                for (int o = 1 - window.After; o <= window.Before; o++) sum += Vector256.Load(t + i + o);
                var direct = Vector256.Load(gradient + i) / Vector256.Load(p + i);
                (direct - scale * Vector256.Load(row + i) * sum).Store(output + i);
            }
            for (; i < c; i++)
            {
                float sum = t[i - window.After];
                for (int o = 1 - window.After; o <= window.Before; o++) sum += t[i + o];
                output[i] = gradient[i] / p[i] - scale[0] * row[i] * sum;
            }
        }
    }

    /// <summary>d_c = k + alpha/size * (sum of x^2 over c's window) for one row; <paramref name="squares"/> holds c + size floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Divisors(float* row, int c, in Window window, float* squares, float* d)
    {
        // x^2 with zeros beyond both ends: square c sits at squares[Before + c].
        new Span<float>(squares, window.Before).Clear();
        new Span<float>(squares + window.Before + c, window.Size - window.Before).Clear();
        float* s = squares + window.Before;
        int i = 0;
        for (; i + Lanes <= c; i += Lanes)
        {
            var v = Vector256.Load(row + i);
            (v * v).Store(s + i);
        }
        for (; i < c; i++) s[i] = row[i] * row[i];
        var (alpha, k) = (Vector256.Create(window.AlphaOverSize), Vector256.Create(window.K));
        for (i = 0; i + Lanes <= c; i += Lanes)
        {
            var sum = Vector256.Load(s + i - window.Before);
            for (int o = 1 - window.Before; o <= window.After; o++) sum += Vector256.Load(s + i + o);
            Vector256.FusedMultiplyAdd(sum, alpha, k).Store(d + i);
        }
        for (; i < c; i++)
        {
            float sum = s[i - window.Before];
            for (int o = 1 - window.Before; o <= window.After; o++) sum += s[i + o];
            d[i] = MathF.FusedMultiplyAdd(sum, window.AlphaOverSize, window.K);
        }
    }

    /// <summary>d^(3/4) = sqrt(d) * sqrt(sqrt(d)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Power(Vector256<float> d)
    {
        var root = Vector256.Sqrt(d);
        return root * Vector256.Sqrt(root);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Power(float d)
    {
        float root = MathF.Sqrt(d);
        return root * MathF.Sqrt(root);
    }
}
