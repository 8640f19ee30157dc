using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// The 3x3 products of <see cref="DirectConvolutionKernels.Product"/> by Winograd's minimal filtering F(2x2, 3x3)
/// (Lavin and Gray, 2016): each 2x2 block of output pixels is read from a 4x4 tile of the padded image, transformed
/// (B^T d B), multiplied position by position with the transformed kernel (G g G^T) and transformed back (A^T m A):
/// 16 x C x O multiply-adds per tile of 4 pixels instead of 36 x C x O, so 2.25 times fewer. The 16 position-wise
/// products are matrix products of every tile of an image (T x C) with that position's C x O weights, run by the same
/// register blocks as the direct kernels; the transforms are additions of whole vectors of 16 channels. The weight
/// gradient is F(3x3, 2x2), the same idea with the output gradient's 2x2 tiles in the kernel's place (see
/// <see cref="AddWeightGradient"/>). Images need an even height and width. Every value is a fixed sequence of operations, so the results do not depend on threads.
/// </summary>
internal static unsafe class WinogradKernels
{
    /// <summary>Positions of a transformed 4x4 tile.</summary>
    public const int Positions = 16;

    /// <summary>Whether images of this size split into 2x2 output tiles.</summary>
    public static bool Fits(int height, int width) => height % 2 == 0 && width % 2 == 0;

    /// <summary>Floats of scratch <see cref="Product"/> needs beside the padded image: one group's tiles in and out.</summary>
    public static long ScratchFloats(int channels, int outChannels) =>
        Positions * (long)TilesPerGroup(outChannels) * (channels + outChannels);

    /// <summary>
    /// output (H x W x O) = the 3x3 products of a padded image ((H+2) x (W+2) x C) with weights transformed to
    /// [16][C][O] (<see cref="DirectConvolution"/> computes them with G g G^T).
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
        Positions * ((long)GradientGroup * (channels + outChannels) + (long)channels * outChannels);

    /// <summary>
    /// Adds to partial ([3][3][C][O]) the weight gradient of consecutive images (padded inputs of (H+2) x (W+2) x C,
    /// output gradients of H x W x O) by F(3x3, 2x2): for every 2x2 tile of the output gradient and the 4x4 input tile
    /// under it, the products of the transformed tiles (B^T x B with the forward's transform, G' dy G'^T) summed over
    /// all tiles in order, position by position, then transformed back once (A'^T m A').
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

    /// <summary>Tiles whose transforms the weight gradient takes in at a time.</summary>
    internal const int GradientGroup = 16;

    private static void AddWeightGradient<TC>(float* padded, float* gradient, int images, int height, int width, int outChannels,
        float* partial, float* scratch)
        where TC : struct, IConstant
    {
        int tiles = height / 2 * (width / 2);
        long paddedImage = (long)(height + 2) * (width + 2) * TC.Value, gradientImage = (long)height * width * outChannels;
        float* tilesIn = scratch, tilesGradient = tilesIn + Positions * GradientGroup * TC.Value;
        float* sums = tilesGradient + Positions * GradientGroup * outChannels;
        new Span<float>(sums, Positions * TC.Value * outChannels).Clear();
        for (int image = 0; image < images; image++)
        for (int first = 0; first < tiles; first += GradientGroup)
        {
            int count = Math.Min(GradientGroup, tiles - first);
            TransformInput<TC>(padded + image * paddedImage, width, first, count, GradientGroup, tilesIn);
            TransformGradient(gradient + image * gradientImage, width, first, count, outChannels, tilesGradient);
            SumProducts<TC>(tilesIn, tilesGradient, outChannels, sums, Positions);
        }
        TransformSums(sums, TC.Value, outChannels, partial);
    }

    /// <summary>
    /// sums ([positions][C][O]) += at every position the products of a group's transformed input tiles ([positions][group][C])
    /// and gradient tiles ([positions][group][O]), summed over the group's tiles in order.
    /// </summary>
    internal static void SumProducts<TC>(float* tilesIn, float* tilesGradient, int outChannels, float* sums, int positions)
        where TC : struct, IConstant
    {
        for (int position = 0; position < positions; position++)
        {
            float* a = tilesIn + position * GradientGroup * TC.Value, b = tilesGradient + position * GradientGroup * outChannels;
            float* m = sums + position * TC.Value * outChannels;
            if (outChannels % 32 == 0)
                for (int ic = 0; ic < TC.Value; ic += 8)
                for (int ob = 0; ob < outChannels; ob += 32)
                    SumBlock<C8, C2, TC>(a + ic, b + ob, outChannels, m + ic * outChannels + ob);
            else
                for (int ic = 0; ic < TC.Value; ic += 16)
                for (int ob = 0; ob < outChannels; ob += 16)
                    SumBlock<C16, C1, TC>(a + ic, b + ob, outChannels, m + ic * outChannels + ob);
        }
    }

    /// <summary>
    /// G' dy G'^T of the output gradient's 2x2 tiles first..first+count-1 into [16][group][O], with G' = [[1, 0],
    /// [1/2, 1/2], [1/2, -1/2], [0, -1]]: F(3x3, 2x2)'s G with its last row negated, because its input transform is
    /// the forward's with the last row negated and the two signs meet in the product. The group's other rows zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformGradient(float* gradient, int width, int first, int count, int outChannels, float* tilesGradient)
    {
        int tilesWide = width / 2, tileRow = first / tilesWide, tileColumn = first % tilesWide;
        long plane = (long)GradientGroup * outChannels, row = (long)width * outChannels;
        var half = Vector512.Create(0.5f);
        for (int k = 0; k < count; k++)
        {
            float* d = gradient + (tileRow * 2 * (long)width + tileColumn * 2) * outChannels;
            float* w = tilesGradient + (long)k * outChannels;
            for (int o = 0; o < outChannels; o += 16, d += 16, w += 16)
            {
                var (d00, d01, d10, d11) = (Vector512.Load(d), Vector512.Load(d + outChannels), Vector512.Load(d + row),
                    Vector512.Load(d + row + outChannels));
                // G' dy: rows d0, (d0 + d1) / 2, (d0 - d1) / 2, -d1 for each column; then the same on each row.
                var (e00, e10, e20, e30) = (d00, (d00 + d10) * half, (d00 - d10) * half, -d10);
                var (e01, e11, e21, e31) = (d01, (d01 + d11) * half, (d01 - d11) * half, -d11);
                StoreGradientRow(w, plane, 0, e00, e01, half);
                StoreGradientRow(w, plane, 4, e10, e11, half);
                StoreGradientRow(w, plane, 8, e20, e21, half);
                StoreGradientRow(w, plane, 12, e30, e31, half);
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
        for (int k = count; k < GradientGroup; k++)
        for (int position = 0; position < Positions; position++)
            new Span<float>(tilesGradient + position * plane + (long)k * outChannels, outChannels).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGradientRow(float* w, long plane, int first, Vector512<float> e0, Vector512<float> e1, Vector512<float> half)
    {
        e0.Store(w + first * plane);
        ((e0 + e1) * half).Store(w + (first + 1) * plane);
        ((e0 - e1) * half).Store(w + (first + 2) * plane);
        (-e1).Store(w + (first + 3) * plane);
    }

    /// <summary>
    /// sums (TK input channels x TB vectors of 16 output channels, rows O apart) += the products of a group's
    /// transformed input tiles (rows of C) and gradient tiles (rows of O), tile by tile in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumBlock<TK, TB, TC>(float* a, float* b, int outChannels, float* sums)
        where TK : struct, IConstant where TB : struct, IConstant where TC : struct, IConstant
    {
        // Sum k < 8 is input channel k, first vector; sum 8 + k is input channel 8 + k (TB = 1) or k, second vector (TB = 2).
        long second = TB.Value > 1 ? 16 : 8L * outChannels;
        var s0 = Vector512.Load(sums + 0 * outChannels); var s1 = Vector512.Load(sums + 1 * outChannels);
        var s2 = Vector512.Load(sums + 2 * outChannels); var s3 = Vector512.Load(sums + 3 * outChannels);
        var s4 = Vector512.Load(sums + 4 * outChannels); var s5 = Vector512.Load(sums + 5 * outChannels);
        var s6 = Vector512.Load(sums + 6 * outChannels); var s7 = Vector512.Load(sums + 7 * outChannels);
        var s8 = Vector512.Load(sums + second + 0 * outChannels); var s9 = Vector512.Load(sums + second + 1 * outChannels);
        var s10 = Vector512.Load(sums + second + 2 * outChannels); var s11 = Vector512.Load(sums + second + 3 * outChannels);
        var s12 = Vector512.Load(sums + second + 4 * outChannels); var s13 = Vector512.Load(sums + second + 5 * outChannels);
        var s14 = Vector512.Load(sums + second + 6 * outChannels); var s15 = Vector512.Load(sums + second + 7 * outChannels);
        int k8 = TB.Value > 1 ? 0 : 8; // input channel of sum 8 + k, less k
        for (int tile = 0; tile < GradientGroup; tile++, a += TC.Value, b += outChannels)
        {
            var g = Vector512.Load(b);
            var h = TB.Value > 1 ? Vector512.Load(b + 16) : g;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), g, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), g, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), g, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), g, s3);
            s4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), g, s4);
            s5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), g, s5);
            s6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), g, s6);
            s7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), g, s7);
            s8 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 0]), h, s8);
            s9 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 1]), h, s9);
            s10 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 2]), h, s10);
            s11 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 3]), h, s11);
            s12 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 4]), h, s12);
            s13 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 5]), h, s13);
            s14 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 6]), h, s14);
            s15 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k8 + 7]), h, s15);
        }
        s0.Store(sums + 0 * outChannels); s1.Store(sums + 1 * outChannels); s2.Store(sums + 2 * outChannels);
        s3.Store(sums + 3 * outChannels); s4.Store(sums + 4 * outChannels); s5.Store(sums + 5 * outChannels);
        s6.Store(sums + 6 * outChannels); s7.Store(sums + 7 * outChannels);
        s8.Store(sums + second + 0 * outChannels); s9.Store(sums + second + 1 * outChannels);
        s10.Store(sums + second + 2 * outChannels); s11.Store(sums + second + 3 * outChannels);
        s12.Store(sums + second + 4 * outChannels); s13.Store(sums + second + 5 * outChannels);
        s14.Store(sums + second + 6 * outChannels); s15.Store(sums + second + 7 * outChannels);
    }

    /// <summary>
    /// partial[3][3][C][O] += A'^T m A' of the summed products ([16][C][O]), A'^T = [[1, 1, 1, 0], [0, 1, -1, 0],
    /// [0, 1, 1, 1]] (F(3x3, 2x2)).
    /// </summary>
    private static void TransformSums(float* sums, int channels, int outChannels, float* partial)
    {
        long plane = (long)channels * outChannels;
        for (long offset = 0; offset < plane; offset += 16)
        {
            float* m = sums + offset;
            // A'^T m: rows 0 + 1 + 2, 1 - 2 and 1 + 2 + 3, for each of the 4 columns; then the same on columns.
            var (r00, r10, r20) = Combine3(m, plane, 0, 4);
            var (r01, r11, r21) = Combine3(m, plane, 1, 4);
            var (r02, r12, r22) = Combine3(m, plane, 2, 4);
            var (r03, r13, r23) = Combine3(m, plane, 3, 4);
            AddRow(partial + offset, plane, 0, r00, r01, r02, r03);
            AddRow(partial + offset, plane, 3, r10, r11, r12, r13);
            AddRow(partial + offset, plane, 6, r20, r21, r22, r23);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>) Combine3(float* m, long plane, int first, int step)
    {
        var m0 = Vector512.Load(m + first * plane);
        var m1 = Vector512.Load(m + (first + step) * plane);
        var m2 = Vector512.Load(m + (first + 2 * step) * plane);
        var m3 = Vector512.Load(m + (first + 3 * step) * plane);
        return (m0 + m1 + m2, m1 - m2, m1 + m2 + m3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* partial, long plane, int first, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2,
        Vector512<float> r3)
    {
        float* p = partial + first * plane;
        (Vector512.Load(p) + (r0 + r1 + r2)).Store(p);
        (Vector512.Load(p + plane) + (r1 - r2)).Store(p + plane);
        (Vector512.Load(p + 2 * plane) + (r1 + r2 + r3)).Store(p + 2 * plane);
    }

    /// <summary>
    /// Tiles transformed, multiplied and transformed back together: one register block (8 tiles for two vectors of
    /// outputs, 16 for one), so that a group's transformed tiles stay in the core's first-level cache between steps.
    /// </summary>
    internal static int TilesPerGroup(int outChannels) => outChannels % 32 == 0 ? 8 : 16;

    private static void Product<TC>(float* padded, int height, int width, float* transformed, int outChannels, float* output, float* scratch)
        where TC : struct, IConstant
    {
        int group = TilesPerGroup(outChannels), tiles = height / 2 * (width / 2);
        float* tilesIn = scratch, tilesOut = scratch + (long)Positions * group * TC.Value;
        int* targets = stackalloc int[16];
        for (int k = 0; k < 16; k++) targets[k] = k * outChannels;
        for (int first = 0; first < tiles; first += group)
        {
            int count = Math.Min(group, tiles - first);
            TransformInput<TC>(padded, width, first, count, group, tilesIn);
            MultiplyPositions<TC>(tilesIn, transformed, outChannels, tilesOut, group, Positions, targets);
            TransformOutput(tilesOut, width, first, count, group, outChannels, output);
        }
    }

    /// <summary>
    /// tilesOut ([positions][group][O]) = at every position the product of a group's transformed tiles ([positions][group][C])
    /// with that position's transformed weights ([positions][C][O]), by the direct kernels' register blocks (8 tiles x
    /// 32 outputs for a group of 8, 16 x 16 for a group of 16); targets[k] = k O.
    /// </summary>
    internal static void MultiplyPositions<TC>(float* tilesIn, float* transformed, int outChannels, float* tilesOut, int group,
        int positions, int* targets)
        where TC : struct, IConstant
    {
        for (int position = 0; position < positions; position++)
        {
            float* a = tilesIn + position * group * TC.Value, b = transformed + position * TC.Value * outChannels;
            float* c = tilesOut + position * group * outChannels;
            if (group == 8)
                for (int ob = 0; ob < outChannels; ob += 32)
                    DirectConvolutionKernels.Block<C8, C2, TC, C1>(a, 0, b + ob, outChannels, c + ob, targets);
            else
                for (int ob = 0; ob < outChannels; ob += 16)
                    DirectConvolutionKernels.Block<C16, C1, TC, C1>(a, 0, b + ob, outChannels, c + ob, targets);
        }
    }

    /// <summary>
    /// B^T d of tiles first..first+count-1 (4x4, stride 2, row-major over the padded image) into [16][group][C]; the
    /// group's remaining rows zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<TC>(float* padded, int width, int first, int count, int group, float* tilesIn)
        where TC : struct, IConstant
    {
        int tilesWide = width / 2, row = (width + 2) * TC.Value, plane = group * TC.Value;
        int tileRow = first / tilesWide, tileColumn = first % tilesWide;
        for (int k = 0; k < count; k++)
        {
            float* d = padded + (tileRow * 2 * (width + 2) + tileColumn * 2) * TC.Value;
            float* v = tilesIn + k * TC.Value;
            for (int c = 0; c < TC.Value; c += 16, d += 16, v += 16)
            {
                // B^T d, column by column (x_ij: row i, column j), then (B^T d) B, row by row.
                var (x00, x10, x20, x30) = Column(d, row, 0);
                var (x01, x11, x21, x31) = Column(d, row, TC.Value);
                var (x02, x12, x22, x32) = Column(d, row, 2 * TC.Value);
                var (x03, x13, x23, x33) = Column(d, row, 3 * TC.Value);
                StoreRow(v, plane, 0, x00, x01, x02, x03);
                StoreRow(v, plane, 4, x10, x11, x12, x13);
                StoreRow(v, plane, 8, x20, x21, x22, x23);
                StoreRow(v, plane, 12, x30, x31, x32, x33);
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
        for (int k = count; k < group; k++)
        for (int position = 0; position < Positions; position++)
            new Span<float>(tilesIn + position * plane + k * TC.Value, TC.Value).Clear();
    }

    /// <summary>A column of B^T d (the tile's column at offset column): rows 0 - 2, 1 + 2, 2 - 1, 1 - 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Column(float* d, int row, int column)
    {
        var d0 = Vector512.Load(d + column);
        var d1 = Vector512.Load(d + row + column);
        var d2 = Vector512.Load(d + 2 * row + column);
        var d3 = Vector512.Load(d + 3 * row + column);
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
    }

    /// <summary>A row of (B^T d) B from that row of B^T d (x0..x3), stored at positions first..first+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* v, long plane, int first, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2,
        Vector512<float> x3)
    {
        (x0 - x2).Store(v + first * plane);
        (x1 + x2).Store(v + (first + 1) * plane);
        (x2 - x1).Store(v + (first + 2) * plane);
        (x1 - x3).Store(v + (first + 3) * plane);
    }

    /// <summary>A^T m A of tiles first..first+count-1 from their [16][group][O] products: their 2x2 output pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutput(float* tilesOut, int width, int first, int count, int group, int outChannels, float* output)
    {
        int tilesWide = width / 2, tileRow = first / tilesWide, tileColumn = first % tilesWide;
        long plane = (long)group * outChannels, row = (long)width * outChannels;
        for (int k = 0; k < count; k++)
        {
            float* m = tilesOut + (long)k * outChannels;
            float* y = output + (tileRow * 2 * (long)width + tileColumn * 2) * outChannels;
            for (int o = 0; o < outChannels; o += 16, m += 16, y += 16)
            {
                // A^T m: rows 0 + 1 + 2 and 1 - 2 - 3, for each of the 4 columns.
                var (z00, z10) = Combine(m, plane, 0, 4);
                var (z01, z11) = Combine(m, plane, 1, 4);
                var (z02, z12) = Combine(m, plane, 2, 4);
                var (z03, z13) = Combine(m, plane, 3, 4);
                // (A^T m) A: the same on columns.
                (z00 + z01 + z02).Store(y);
                (z01 - z02 - z03).Store(y + outChannels);
                (z10 + z11 + z12).Store(y + row);
                (z11 - z12 - z13).Store(y + row + outChannels);
            }
            if (++tileColumn == tilesWide) (tileRow, tileColumn) = (tileRow + 1, 0);
        }
    }

    /// <summary>m0 + m1 + m2 and m1 - m2 - m3 of the positions first, first + step, first + 2 step, first + 3 step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>) Combine(float* m, long plane, int first, int step)
    {
        var m0 = Vector512.Load(m + first * plane);
        var m1 = Vector512.Load(m + (first + step) * plane);
        var m2 = Vector512.Load(m + (first + 2 * step) * plane);
        var m3 = Vector512.Load(m + (first + 3 * step) * plane);
        return (m0 + m1 + m2, m1 - m2 - m3);
    }
}
