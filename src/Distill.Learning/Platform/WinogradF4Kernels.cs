using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// The forward pass and input gradient of <see cref="DirectConvolution"/> by Winograd's F(4x4, 3x3) (Lavin and Gray,
/// 2016) on images whose height and width are multiples of 4 and that hold at least <see cref="MinimumTiles"/> tiles:
/// each 4x4 block of output pixels is read from a 6x6 tile of the padded image (stride 4), transformed (B^T d B),
/// multiplied position by position with the transformed kernel (G g G^T) and transformed back (A^T m A): 36 x C x O
/// multiply-adds per 16 pixels, 4 times fewer than the direct 3x3 sums and 1.78 times fewer than F(2x2, 3x3)
/// (<see cref="WinogradKernels"/>). Its transforms scale by up to 8 where F(2x2, 3x3)'s only add, so it rounds a few
/// times more (up to ~1e-5 of the largest value in float32, against the self-check's 1e-4). The products are the
/// direct kernels' register blocks, as in <see cref="WinogradKernels"/>; every value is a fixed sequence of operations,
/// so the results do not depend on threads. The weight gradient is F(3x3, 4x4), the same algorithm transposed (see
/// <see cref="AddWeightGradient"/>).
/// </summary>
internal static unsafe class WinogradF4Kernels
{
    /// <summary>Positions of a transformed 6x6 tile.</summary>
    public const int Positions = 36;

    /// <summary>
    /// Fewest tiles an image must hold: below it (8x8 images: 4 tiles) a register block of 8 tiles would be half
    /// empty, and F(2x2, 3x3)'s smaller tiles fill theirs.
    /// </summary>
    public const int MinimumTiles = 8;

    /// <summary>Whether images of this size take F(4x4, 3x3).</summary>
    public static bool Fits(int height, int width) => height % 4 == 0 && width % 4 == 0 && height / 4 * (width / 4) >= MinimumTiles;

    /// <summary>Floats of scratch <see cref="Product"/> needs beside the padded image: one group's tiles in and out.</summary>
    public static long ScratchFloats(int channels, int outChannels) =>
        Positions * (long)WinogradKernels.TilesPerGroup(outChannels) * (channels + outChannels);

    /// <summary>
    /// The rows of G for F(4x4, 3x3): the transformed kernel is G g G^T, computed by <see cref="DirectConvolution"/>.
    /// </summary>
    public static readonly double[,] G =
    {
        { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
        { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
    };

    /// <summary>
    /// output (H x W x O) = the 3x3 products of a padded image ((H+2) x (W+2) x C) with weights transformed to
    /// [36][C][O].
    /// </summary>
    public static void Product(float* padded, int height, int width, int channels, float* transformed, int outChannels, float* output,
        float* scratch)
    {
        switch (channels)
        {
            case 16: Product<C16>(padded, height, width, transformed, outChannels, output, scratch); break;
            case 32: Product<C32>(padded, height, width, transformed, outChannels, output, scratch); break;
            case 64: Product<C64>(padded, height, width, transformed, outChannels, output, scratch); break;
            default: throw new ArgumentOutOfRangeException(nameof(channels), channels, "16, 32 or 64 input channels");
        }
    }

    /// <summary>Floats of scratch <see cref="AddWeightGradient"/> needs beside the padded images.</summary>
    public static long GradientScratchFloats(int channels, int outChannels) =>
        Positions * ((long)WinogradKernels.GradientGroup * (channels + outChannels) + (long)channels * outChannels + 16);

    /// <summary>
    /// Adds to partial ([3][3][C][O]) the weight gradient of consecutive images (padded inputs of (H+2) x (W+2) x C,
    /// output gradients of H x W x O) by F(3x3, 4x4): F(4x4, 3x3) transposed (Lavin and Gray's trilinear form), so
    /// dW = G^T [(A dy A^T) . (B^T x B)] G with F(4x4, 3x3)'s own matrices. For every 4x4 tile of the output gradient
    /// and the 6x6 input tile under it, the products of the transformed tiles are summed over all tiles in order,
    /// position by position, then transformed back once.
    /// </summary>
    public static void AddWeightGradient(float* padded, float* gradient, int images, int height, int width, int channels, int outChannels,
        float* partial, float* scratch)
    {
        switch (channels)
        {
            case 16: AddWeightGradient<C16>(padded, gradient, images, height, width, outChannels, partial, scratch); break;
            case 32: AddWeightGradient<C32>(padded, gradient, images, height, width, outChannels, partial, scratch); break;
            case 64: AddWeightGradient<C64>(padded, gradient, images, height, width, outChannels, partial, scratch); break;
            default: throw new ArgumentOutOfRangeException(nameof(channels), channels, "16, 32 or 64 input channels");
        }
    }

    private static void AddWeightGradient<TC>(float* padded, float* gradient, int images, int height, int width, int outChannels,
        float* partial, float* scratch)
        where TC : struct, IConstant
    {
        const int group = WinogradKernels.GradientGroup;
        int tiles = height / 4 * (width / 4);
        long paddedImage = (long)(height + 2) * (width + 2) * TC.Value, gradientImage = (long)height * width * outChannels;
        float* tilesIn = scratch, tilesGradient = tilesIn + Positions * group * TC.Value;
        float* sums = tilesGradient + Positions * group * outChannels, half = sums + Positions * TC.Value * outChannels;
        new Span<float>(sums, Positions * TC.Value * outChannels).Clear();
        for (int image = 0; image < images; image++)
        for (int first = 0; first < tiles; first += group)
        {
            int count = Math.Min(group, tiles - first);
            TransformInput<TC>(padded + image * paddedImage, width, first, count, group, tilesIn, half);
            TransformGradient(gradient + image * gradientImage, width, first, count, outChannels, tilesGradient);
            WinogradKernels.SumProducts<TC>(tilesIn, tilesGradient, outChannels, sums, Positions);
        }
        TransformSums(sums, TC.Value, outChannels, partial);
    }

    /// <summary>
    /// A dy A^T of the output gradient's 4x4 tiles first..first+count-1 into [36][group][O], A = (A^T)^T: rows [1, 0, 0, 0],
    /// [1, 1, 1, 1], [1, -1, 1, -1], [1, 2, 4, 8], [1, -2, 4, -8], [0, 0, 0, 1]. The group's other rows zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformGradient(float* gradient, int width, int first, int count, int outChannels, float* tilesGradient)
    {
        const int group = WinogradKernels.GradientGroup;
        int tilesWide = width / 4, tileRow = first / tilesWide, tileColumn = first % tilesWide;
        long plane = (long)group * outChannels, row = (long)width * outChannels;
        for (int k = 0; k < count; k++)
        {
            float* d = gradient + (tileRow * 4 * (long)width + tileColumn * 4) * outChannels;
            float* w = tilesGradient + (long)k * outChannels;
            for (int o = 0; o < outChannels; o += 16, d += 16, w += 16)
            {
                // A dy, column by column (x_ij: row i of 6, column j of 4); then each row of it times A^T.
                var (x00, x10, x20, x30, x40, x50) = GradientColumn(d, row, 0);
                var (x01, x11, x21, x31, x41, x51) = GradientColumn(d, row, outChannels);
                var (x02, x12, x22, x32, x42, x52) = GradientColumn(d, row, 2 * outChannels);
                var (x03, x13, x23, x33, x43, x53) = GradientColumn(d, row, 3 * outChannels);
                GradientTransform(x00, x01, x02, x03, w, plane);
                GradientTransform(x10, x11, x12, x13, w + 6 * plane, plane);
                GradientTransform(x20, x21, x22, x23, w + 12 * plane, plane);
                GradientTransform(x30, x31, x32, x33, w + 18 * plane, plane);
                GradientTransform(x40, x41, x42, x43, w + 24 * plane, plane);
                GradientTransform(x50, x51, x52, x53, w + 30 * plane, plane);
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
        for (int k = count; k < group; k++)
        for (int position = 0; position < Positions; position++)
            new Span<float>(tilesGradient + position * plane + (long)k * outChannels, outChannels).Clear();
    }

    /// <summary>A times the tile's column at offset column (four values a row apart): six values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>)
        GradientColumn(float* d, long row, int column)
    {
        var (e0, e1) = (Vector512.Load(d + column), Vector512.Load(d + row + column));
        var (e2, e3) = (Vector512.Load(d + 2 * row + column), Vector512.Load(d + 3 * row + column));
        var (p, q) = (e0 + e2, e1 + e3);
        var (s, t) = (e0 + Vector512.Create(4f) * e2, Vector512.Create(2f) * e1 + Vector512.Create(8f) * e3);
        return (e0, p + q, p - q, s + t, s - t, e3);
    }

    /// <summary>A times four values: six values stored step floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTransform(Vector512<float> e0, Vector512<float> e1, Vector512<float> e2, Vector512<float> e3, float* target,
        long step)
    {
        var (p, q) = (e0 + e2, e1 + e3);
        var (s, t) = (e0 + Vector512.Create(4f) * e2, Vector512.Create(2f) * e1 + Vector512.Create(8f) * e3);
        e0.Store(target);
        (p + q).Store(target + step);
        (p - q).Store(target + 2 * step);
        (s + t).Store(target + 3 * step);
        (s - t).Store(target + 4 * step);
        e3.Store(target + 5 * step);
    }

    /// <summary>
    /// partial[3][3][C][O] += G^T m G of the summed products ([36][C][O]); G^T's rows: [1/4, -1/6, -1/6, 1/24, 1/24, 0],
    /// [0, -1/6, 1/6, 1/12, -1/12, 0], [0, -1/6, -1/6, 1/6, 1/6, 1].
    /// </summary>
    private static void TransformSums(float* sums, int channels, int outChannels, float* partial)
    {
        long plane = (long)channels * outChannels;
        for (long offset = 0; offset < plane; offset += 16)
        {
            float* m = sums + offset;
            // G^T m, column by column (x_ij: row i of 3, column j of 6); then each row of it times G.
            var (x00, x10, x20) = SumsColumn(m, plane, 0);
            var (x01, x11, x21) = SumsColumn(m, plane, 1);
            var (x02, x12, x22) = SumsColumn(m, plane, 2);
            var (x03, x13, x23) = SumsColumn(m, plane, 3);
            var (x04, x14, x24) = SumsColumn(m, plane, 4);
            var (x05, x15, x25) = SumsColumn(m, plane, 5);
            AddRow(partial + offset, plane, BackTransform(x00, x01, x02, x03, x04, x05));
            AddRow(partial + offset + 3 * plane, plane, BackTransform(x10, x11, x12, x13, x14, x15));
            AddRow(partial + offset + 6 * plane, plane, BackTransform(x20, x21, x22, x23, x24, x25));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* p, long plane, (Vector512<float> Y0, Vector512<float> Y1, Vector512<float> Y2) row)
    {
        (Vector512.Load(p) + row.Y0).Store(p);
        (Vector512.Load(p + plane) + row.Y1).Store(p + plane);
        (Vector512.Load(p + 2 * plane) + row.Y2).Store(p + 2 * plane);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>) SumsColumn(float* m, long plane, int j) =>
        BackTransform(Vector512.Load(m + j * plane), Vector512.Load(m + (6 + j) * plane), Vector512.Load(m + (12 + j) * plane),
            Vector512.Load(m + (18 + j) * plane), Vector512.Load(m + (24 + j) * plane), Vector512.Load(m + (30 + j) * plane));

    /// <summary>G^T of six values: three values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>) BackTransform(Vector512<float> m0, Vector512<float> m1,
        Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5)
    {
        var (p, q, r, s) = (m1 + m2, m2 - m1, m3 + m4, m3 - m4);
        var (sixth, twelfth, twentyFourth) = (Vector512.Create(1 / 6f), Vector512.Create(1 / 12f), Vector512.Create(1 / 24f));
        return (Vector512.Create(0.25f) * m0 - sixth * p + twentyFourth * r, sixth * q + twelfth * s, sixth * (r - p) + m5);
    }

    private static void Product<TC>(float* padded, int height, int width, float* transformed, int outChannels, float* output,
        float* scratch)
        where TC : struct, IConstant
    {
        int group = WinogradKernels.TilesPerGroup(outChannels), tiles = height / 4 * (width / 4);
        float* tilesIn = scratch, tilesOut = scratch + (long)Positions * group * TC.Value;
        int* targets = stackalloc int[16];
        for (int k = 0; k < 16; k++) targets[k] = k * outChannels;
        // One tile's input half-transformed, 6 x 6 vectors, between the column and the row pass.
        float* half = stackalloc float[Positions * 16];
        for (int first = 0; first < tiles; first += group)
        {
            int count = Math.Min(group, tiles - first);
            TransformInput<TC>(padded, width, first, count, group, tilesIn, half);
            WinogradKernels.MultiplyPositions<TC>(tilesIn, transformed, outChannels, tilesOut, group, Positions, targets);
            TransformOutput(tilesOut, width, first, count, group, outChannels, output);
        }
    }

    /// <summary>
    /// B^T d B of tiles first..first+count-1 (6x6, stride 4, row-major over the padded image) into [36][group][C]; the
    /// group's remaining rows zeroed. B^T's rows: [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
    /// [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<TC>(float* padded, int width, int first, int count, int group, float* tilesIn, float* half)
        where TC : struct, IConstant
    {
        int tilesWide = width / 4, row = (width + 2) * TC.Value, plane = group * TC.Value;
        int tileRow = first / tilesWide, tileColumn = first % tilesWide;
        for (int k = 0; k < count; k++)
        {
            float* d = padded + (tileRow * 4 * (width + 2) + tileColumn * 4) * TC.Value;
            float* v = tilesIn + k * TC.Value;
            for (int c = 0; c < TC.Value; c += 16, d += 16, v += 16)
            {
                // B^T d, column by column, into half (row i, column j at 6 i + j); then each row of it times B.
                for (int j = 0; j < 6; j++)
                {
                    float* column = d + j * TC.Value;
                    InputTransform(Vector512.Load(column), Vector512.Load(column + row), Vector512.Load(column + 2 * row),
                        Vector512.Load(column + 3 * row), Vector512.Load(column + 4 * row), Vector512.Load(column + 5 * row),
                        half + j * 16, 6 * 16);
                }
                for (int i = 0; i < 6; i++)
                {
                    float* x = half + i * 6 * 16;
                    InputTransform(Vector512.Load(x), Vector512.Load(x + 16), Vector512.Load(x + 32), Vector512.Load(x + 48),
                        Vector512.Load(x + 64), Vector512.Load(x + 80), v + 6 * i * plane, plane);
                }
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
        for (int k = count; k < group; k++)
        for (int position = 0; position < Positions; position++)
            new Span<float>(tilesIn + position * plane + k * TC.Value, TC.Value).Clear();
    }

    /// <summary>B^T of six values, stored step floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3,
        Vector512<float> d4, Vector512<float> d5, float* target, long step)
    {
        var four = Vector512.Create(4f);
        var five = Vector512.Create(5f);
        var two = Vector512.Create(2f);
        var a = d4 - four * d2;
        var b = d3 - four * d1;
        var c = d4 - d2;
        var e = two * (d3 - d1);
        (four * d0 - five * d2 + d4).Store(target);
        (a + b).Store(target + step);
        (a - b).Store(target + 2 * step);
        (c + e).Store(target + 3 * step);
        (c - e).Store(target + 4 * step);
        (four * d1 - five * d3 + d5).Store(target + 5 * step);
    }

    /// <summary>
    /// A^T m A of tiles first..first+count-1 from their [36][group][O] products: their 4x4 output pixels. A^T's rows:
    /// [1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]. The 24 values between the
    /// column and the row pass stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutput(float* tilesOut, int width, int first, int count, int group, int outChannels, float* output)
    {
        int tilesWide = width / 4, tileRow = first / tilesWide, tileColumn = first % tilesWide;
        long plane = (long)group * outChannels, row = (long)width * outChannels;
        for (int k = 0; k < count; k++)
        {
            float* m = tilesOut + (long)k * outChannels;
            float* y = output + (tileRow * 4 * (long)width + tileColumn * 4) * outChannels;
            for (int o = 0; o < outChannels; o += 16, m += 16, y += 16)
            {
                // A^T m, column by column (x_ij: row i of 4, column j of 6); then each row of it times A.
                var (x00, x10, x20, x30) = OutputColumn(m, plane, 0);
                var (x01, x11, x21, x31) = OutputColumn(m, plane, 1);
                var (x02, x12, x22, x32) = OutputColumn(m, plane, 2);
                var (x03, x13, x23, x33) = OutputColumn(m, plane, 3);
                var (x04, x14, x24, x34) = OutputColumn(m, plane, 4);
                var (x05, x15, x25, x35) = OutputColumn(m, plane, 5);
                OutputTransform(x00, x01, x02, x03, x04, x05, y, outChannels);
                OutputTransform(x10, x11, x12, x13, x14, x15, y + row, outChannels);
                OutputTransform(x20, x21, x22, x23, x24, x25, y + 2 * row, outChannels);
                OutputTransform(x30, x31, x32, x33, x34, x35, y + 3 * row, outChannels);
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
    }

    /// <summary>Column j of A^T m: A^T of the positions j, 6 + j, ..., 30 + j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) OutputColumn(float* m, long plane, int j)
    {
        var (m0, m1, m2) = (Vector512.Load(m + j * plane), Vector512.Load(m + (6 + j) * plane),
            Vector512.Load(m + (12 + j) * plane));
        var (m3, m4, m5) = (Vector512.Load(m + (18 + j) * plane), Vector512.Load(m + (24 + j) * plane),
            Vector512.Load(m + (30 + j) * plane));
        var (p, q, r, s) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        return (m0 + p + r, q + Vector512.Create(2f) * s, p + Vector512.Create(4f) * r, q + Vector512.Create(8f) * s + m5);
    }

    /// <summary>A^T of six values: four values stored step floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3,
        Vector512<float> m4, Vector512<float> m5, float* target, long step)
    {
        var (p, q, r, s) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        (m0 + p + r).Store(target);
        (q + Vector512.Create(2f) * s).Store(target + step);
        (p + Vector512.Create(4f) * r).Store(target + 2 * step);
        (q + Vector512.Create(8f) * s + m5).Store(target + 3 * step);
    }
}
