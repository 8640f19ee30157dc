using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distill.Learning.Platform;

/// <summary>
/// The loops of <see cref="DirectConvolution"/>: a 3x3 convolution with stride 1 and padding 1 over channels-last
/// float32 images of 16 or 32 input channels and any multiple of 16 output channels, with AVX-512 vectors of 16 output
/// channels. An image is first copied into a zero-bordered buffer ((H+2) x (W+2) x C), so that no tap needs a bounds
/// test. A block of 16 (or 8) output pixels, times one or two vectors of output channels, keeps its sums in
/// registers through all 9 x C multiply-adds, each taking its input value as a broadcast operand; one thread runs near
/// the core's peak. Each output value is one chain of fused multiply-adds over taps (row-major) and input channels, in
/// that order, whatever the block, so the bits do not depend on how pixels are blocked. The weight gradient keeps
/// 3 taps x 8 input channels of sums for one vector of output channels in registers and walks every pixel of a group
/// of images into them, in order. The blocks are compiled optimised from their first call (tier-0 code of vector
/// intrinsics is several times slower); the channel and pixel counts are type parameters, so that the compiler folds
/// them into addresses and drops the unused parts of a block.
/// </summary>
internal static unsafe class DirectConvolutionKernels
{
    /// <summary>Copies one image (H x W x C) into the middle of a (H+2) x (W+2) x C buffer whose border it zeroes.</summary>
    public static void Pad(float* image, int height, int width, int channels, float* padded)
    {
        long row = (long)width * channels, paddedRow = (long)(width + 2) * channels;
        new Span<float>(padded, checked((int)paddedRow)).Clear();
        new Span<float>(padded + (height + 1) * paddedRow, checked((int)paddedRow)).Clear();
        for (int r = 0; r < height; r++)
        {
            float* target = padded + (r + 1) * paddedRow;
            new Span<float>(target, channels).Clear();
            Buffer.MemoryCopy(image + r * row, target + channels, row * sizeof(float), row * sizeof(float));
            new Span<float>(target + paddedRow - channels, channels).Clear();
        }
    }

    /// <summary>Positions a padded image's buffer holds past its end, for the last block of <see cref="Product"/>.</summary>
    public const int Slack = 16;

    /// <summary>
    /// output (H x W x O) = the 3x3 products of a padded image ((H+2) x (W+2) x C, then <see cref="Slack"/> positions
    /// of finite values) with weights packed [3][3][C][O]: the forward pass, and, with flipped and transposed weights,
    /// the input gradient.
    /// </summary>
    public static void Product(float* padded, int height, int width, int channels, float* weights, int outChannels, float* output)
    {
        switch (channels)
        {
            case 16: Product<C16>(padded, height, width, weights, outChannels, output); break;
            case 32: Product<C32>(padded, height, width, weights, outChannels, output); break;
            case 64: Product<C64>(padded, height, width, weights, outChannels, output); break;
            default: throw new ArgumentOutOfRangeException(nameof(channels), channels, "16, 32 or 64 input channels");
        }
    }

    /// <summary>
    /// Adds to partial ([3][3][C][O]) the weight gradient of consecutive images: sums over pixels of padded input
    /// (images of (H+2) x (W+2) x C, one after another) times output gradient (images of H x W x O), image by image,
    /// pixel by pixel in row-major order.
    /// </summary>
    public static void AddWeightGradient(float* padded, float* gradient, int images, int height, int width, int channels, int outChannels,
        float* partial)
    {
        switch (channels)
        {
            case 16: AddWeightGradient<C16>(padded, gradient, images, height, width, outChannels, partial); break;
            case 32: AddWeightGradient<C32>(padded, gradient, images, height, width, outChannels, partial); break;
            case 64: AddWeightGradient<C64>(padded, gradient, images, height, width, outChannels, partial); break;
            default: throw new ArgumentOutOfRangeException(nameof(channels), channels, "16, 32 or 64 input channels");
        }
    }

    private static void Product<TC>(float* padded, int height, int width, float* weights, int outChannels, float* output)
        where TC : struct, IConstant
    {
        int* targets = stackalloc int[16];
        int ob = 0;
        // Two vectors of output channels over 8 pixels reuse each broadcast twice; 16 pixels x one vector otherwise.
        for (; ob + 32 <= outChannels; ob += 32)
            Blocks<C8, C2, TC>(padded, height, width, weights + ob, outChannels, output + ob, targets);
        for (; ob < outChannels; ob += 16)
            Blocks<C16, C1, TC>(padded, height, width, weights + ob, outChannels, output + ob, targets);
    }

    /// <summary>
    /// Every output pixel in blocks of TP. Where rows are a multiple of TP long, a block is part of a row. Otherwise
    /// blocks run along the padded image, TP consecutive positions of its (W+2)-wide grid (whose taps are consecutive
    /// too), across row ends: the sums of the two border positions between rows are computed and dropped, which
    /// costs less than blocks of a few pixels, whose sums are too few to keep the multiply-add units busy.
    /// </summary>
    private static void Blocks<TP, TB, TC>(float* padded, int height, int width, float* weights, int outChannels, float* output, int* targets)
        where TP : struct, IConstant where TB : struct, IConstant where TC : struct, IConstant
    {
        int paddedWidth = width + 2, rowStride = paddedWidth * TC.Value;
        if (width % TP.Value == 0)
        {
            for (int k = 0; k < TP.Value; k++) targets[k] = k * outChannels;
            for (int row = 0; row < height; row++)
            for (int column = 0; column < width; column += TP.Value)
                Block<TP, TB, TC, C9>(padded + (row * paddedWidth + column) * TC.Value, rowStride, weights, outChannels,
                    output + ((long)row * width + column) * outChannels, targets);
            return;
        }
        int end = (height - 1) * paddedWidth + width;
        for (int first = 0; first < end; first += TP.Value)
        {
            for (int k = 0; k < TP.Value; k++)
            {
                int position = first + k, column = position % paddedWidth;
                targets[k] = position < end && column < width ? (position / paddedWidth * width + column) * outChannels : -1;
            }
            Block<TP, TB, TC, C9>(padded + first * TC.Value, rowStride, weights, outChannels, output, targets);
        }
    }

    /// <summary>
    /// TP output pixels (at most 16; at most 8 with TB = 2) x TB vectors of 16 output channels, over TT taps (9: the
    /// 3x3 window, pixel k's inputs at source + k x TC; 1: a plain product of TP rows of TC values with a TC x O
    /// matrix, as the Winograd kernels use it); pixel k's sums are stored at output + targets[k], or dropped where that
    /// is negative.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Block<TP, TB, TC, TT>(float* source, int rowStride, float* weights, int outChannels, float* output, int* targets)
        where TP : struct, IConstant where TB : struct, IConstant where TC : struct, IConstant where TT : struct, IConstant
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int tap = 0; tap < TT.Value; tap++)
        {
            float* s = source + tap / 3 * rowStride + tap % 3 * TC.Value;
            float* wk = weights + tap * TC.Value * outChannels;
            for (int ic = 0; ic < TC.Value; ic++, s++, wk += outChannels)
            {
                var v = Vector512.Load(wk);
                var u = TB.Value > 1 ? Vector512.Load(wk + 16) : default;
                if (TP.Value > 0)
                {
                    var x = Vector512.Create(s[0 * TC.Value]);
                    a0 = Vector512.FusedMultiplyAdd(x, v, a0);
                    if (TB.Value > 1) b0 = Vector512.FusedMultiplyAdd(x, u, b0);
                }
                if (TP.Value > 1)
                {
                    var x = Vector512.Create(s[1 * TC.Value]);
                    a1 = Vector512.FusedMultiplyAdd(x, v, a1);
                    if (TB.Value > 1) b1 = Vector512.FusedMultiplyAdd(x, u, b1);
                }
                if (TP.Value > 2)
                {
                    var x = Vector512.Create(s[2 * TC.Value]);
                    a2 = Vector512.FusedMultiplyAdd(x, v, a2);
                    if (TB.Value > 1) b2 = Vector512.FusedMultiplyAdd(x, u, b2);
                }
                if (TP.Value > 3)
                {
                    var x = Vector512.Create(s[3 * TC.Value]);
                    a3 = Vector512.FusedMultiplyAdd(x, v, a3);
                    if (TB.Value > 1) b3 = Vector512.FusedMultiplyAdd(x, u, b3);
                }
                if (TP.Value > 4)
                {
                    var x = Vector512.Create(s[4 * TC.Value]);
                    a4 = Vector512.FusedMultiplyAdd(x, v, a4);
                    if (TB.Value > 1) b4 = Vector512.FusedMultiplyAdd(x, u, b4);
                }
                if (TP.Value > 5)
                {
                    var x = Vector512.Create(s[5 * TC.Value]);
                    a5 = Vector512.FusedMultiplyAdd(x, v, a5);
                    if (TB.Value > 1) b5 = Vector512.FusedMultiplyAdd(x, u, b5);
                }
                if (TP.Value > 6)
                {
                    var x = Vector512.Create(s[6 * TC.Value]);
                    a6 = Vector512.FusedMultiplyAdd(x, v, a6);
                    if (TB.Value > 1) b6 = Vector512.FusedMultiplyAdd(x, u, b6);
                }
                if (TP.Value > 7)
                {
                    var x = Vector512.Create(s[7 * TC.Value]);
                    a7 = Vector512.FusedMultiplyAdd(x, v, a7);
                    if (TB.Value > 1) b7 = Vector512.FusedMultiplyAdd(x, u, b7);
                }
                if (TP.Value > 8)
                {
                    var x = Vector512.Create(s[8 * TC.Value]);
                    a8 = Vector512.FusedMultiplyAdd(x, v, a8);
                }
                if (TP.Value > 9)
                {
                    var x = Vector512.Create(s[9 * TC.Value]);
                    a9 = Vector512.FusedMultiplyAdd(x, v, a9);
                }
                if (TP.Value > 10)
                {
                    var x = Vector512.Create(s[10 * TC.Value]);
                    a10 = Vector512.FusedMultiplyAdd(x, v, a10);
                }
                if (TP.Value > 11)
                {
                    var x = Vector512.Create(s[11 * TC.Value]);
                    a11 = Vector512.FusedMultiplyAdd(x, v, a11);
                }
                if (TP.Value > 12)
                {
                    var x = Vector512.Create(s[12 * TC.Value]);
                    a12 = Vector512.FusedMultiplyAdd(x, v, a12);
                }
                if (TP.Value > 13)
                {
                    var x = Vector512.Create(s[13 * TC.Value]);
                    a13 = Vector512.FusedMultiplyAdd(x, v, a13);
                }
                if (TP.Value > 14)
                {
                    var x = Vector512.Create(s[14 * TC.Value]);
                    a14 = Vector512.FusedMultiplyAdd(x, v, a14);
                }
                if (TP.Value > 15)
                {
                    var x = Vector512.Create(s[15 * TC.Value]);
                    a15 = Vector512.FusedMultiplyAdd(x, v, a15);
                }
            }
        }
        if (targets[0] >= 0) a0.Store(output + targets[0]);
        if (TP.Value > 1 && targets[1] >= 0) a1.Store(output + targets[1]);
        if (TP.Value > 2 && targets[2] >= 0) a2.Store(output + targets[2]);
        if (TP.Value > 3 && targets[3] >= 0) a3.Store(output + targets[3]);
        if (TP.Value > 4 && targets[4] >= 0) a4.Store(output + targets[4]);
        if (TP.Value > 5 && targets[5] >= 0) a5.Store(output + targets[5]);
        if (TP.Value > 6 && targets[6] >= 0) a6.Store(output + targets[6]);
        if (TP.Value > 7 && targets[7] >= 0) a7.Store(output + targets[7]);
        if (TP.Value > 8 && targets[8] >= 0) a8.Store(output + targets[8]);
        if (TP.Value > 9 && targets[9] >= 0) a9.Store(output + targets[9]);
        if (TP.Value > 10 && targets[10] >= 0) a10.Store(output + targets[10]);
        if (TP.Value > 11 && targets[11] >= 0) a11.Store(output + targets[11]);
        if (TP.Value > 12 && targets[12] >= 0) a12.Store(output + targets[12]);
        if (TP.Value > 13 && targets[13] >= 0) a13.Store(output + targets[13]);
        if (TP.Value > 14 && targets[14] >= 0) a14.Store(output + targets[14]);
        if (TP.Value > 15 && targets[15] >= 0) a15.Store(output + targets[15]);
        if (TB.Value > 1 && TP.Value > 0 && targets[0] >= 0) b0.Store(output + targets[0] + 16);
        if (TB.Value > 1 && TP.Value > 1 && targets[1] >= 0) b1.Store(output + targets[1] + 16);
        if (TB.Value > 1 && TP.Value > 2 && targets[2] >= 0) b2.Store(output + targets[2] + 16);
        if (TB.Value > 1 && TP.Value > 3 && targets[3] >= 0) b3.Store(output + targets[3] + 16);
        if (TB.Value > 1 && TP.Value > 4 && targets[4] >= 0) b4.Store(output + targets[4] + 16);
        if (TB.Value > 1 && TP.Value > 5 && targets[5] >= 0) b5.Store(output + targets[5] + 16);
        if (TB.Value > 1 && TP.Value > 6 && targets[6] >= 0) b6.Store(output + targets[6] + 16);
        if (TB.Value > 1 && TP.Value > 7 && targets[7] >= 0) b7.Store(output + targets[7] + 16);
    }

    private static void AddWeightGradient<TC>(float* padded, float* gradient, int images, int height, int width, int outChannels,
        float* partial)
        where TC : struct, IConstant
    {
        int rowStride = (width + 2) * TC.Value;
        for (int ob = 0; ob < outChannels; ob += 16)
        for (int kh = 0; kh < 3; kh++)
        for (int ic = 0; ic < TC.Value; ic += 8)
            GradientBlock<TC>(padded + kh * rowStride + ic, rowStride, gradient + ob, images, height, width, outChannels,
                partial + (kh * 3 * TC.Value + ic) * outChannels + ob);
    }

    /// <summary>The sums of one row of taps (3) x 8 input channels x 16 output channels, over every pixel of the images.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientBlock<TC>(float* source, int rowStride, float* gradient, int images, int height, int width, int outChannels,
        float* partial)
        where TC : struct, IConstant
    {
        Vector512<float> g00 = Vector512.Load(partial + (0 * TC.Value + 0) * outChannels), g01 = Vector512.Load(partial + (0 * TC.Value + 1) * outChannels), g02 = Vector512.Load(partial + (0 * TC.Value + 2) * outChannels), g03 = Vector512.Load(partial + (0 * TC.Value + 3) * outChannels);
        Vector512<float> g04 = Vector512.Load(partial + (0 * TC.Value + 4) * outChannels), g05 = Vector512.Load(partial + (0 * TC.Value + 5) * outChannels), g06 = Vector512.Load(partial + (0 * TC.Value + 6) * outChannels), g07 = Vector512.Load(partial + (0 * TC.Value + 7) * outChannels);
        Vector512<float> g10 = Vector512.Load(partial + (1 * TC.Value + 0) * outChannels), g11 = Vector512.Load(partial + (1 * TC.Value + 1) * outChannels), g12 = Vector512.Load(partial + (1 * TC.Value + 2) * outChannels), g13 = Vector512.Load(partial + (1 * TC.Value + 3) * outChannels);
        Vector512<float> g14 = Vector512.Load(partial + (1 * TC.Value + 4) * outChannels), g15 = Vector512.Load(partial + (1 * TC.Value + 5) * outChannels), g16 = Vector512.Load(partial + (1 * TC.Value + 6) * outChannels), g17 = Vector512.Load(partial + (1 * TC.Value + 7) * outChannels);
        Vector512<float> g20 = Vector512.Load(partial + (2 * TC.Value + 0) * outChannels), g21 = Vector512.Load(partial + (2 * TC.Value + 1) * outChannels), g22 = Vector512.Load(partial + (2 * TC.Value + 2) * outChannels), g23 = Vector512.Load(partial + (2 * TC.Value + 3) * outChannels);
        Vector512<float> g24 = Vector512.Load(partial + (2 * TC.Value + 4) * outChannels), g25 = Vector512.Load(partial + (2 * TC.Value + 5) * outChannels), g26 = Vector512.Load(partial + (2 * TC.Value + 6) * outChannels), g27 = Vector512.Load(partial + (2 * TC.Value + 7) * outChannels);
        for (int row = 0; row < images * height; row++)
        {
            // Images follow one another: (H+2) padded rows each, of which the first H start a row of taps.
            float* s = source + (row / height * (height + 2) + row % height) * rowStride;
            float* d = gradient + (long)row * width * outChannels;
            for (int column = 0; column < width; column++, s += TC.Value, d += outChannels)
            {
                var dy = Vector512.Load(d);
                g00 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 0]), dy, g00);
                g01 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 1]), dy, g01);
                g02 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 2]), dy, g02);
                g03 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 3]), dy, g03);
                g04 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 4]), dy, g04);
                g05 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 5]), dy, g05);
                g06 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 6]), dy, g06);
                g07 = Vector512.FusedMultiplyAdd(Vector512.Create(s[0 * TC.Value + 7]), dy, g07);
                g10 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 0]), dy, g10);
                g11 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 1]), dy, g11);
                g12 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 2]), dy, g12);
                g13 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 3]), dy, g13);
                g14 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 4]), dy, g14);
                g15 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 5]), dy, g15);
                g16 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 6]), dy, g16);
                g17 = Vector512.FusedMultiplyAdd(Vector512.Create(s[1 * TC.Value + 7]), dy, g17);
                g20 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 0]), dy, g20);
                g21 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 1]), dy, g21);
                g22 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 2]), dy, g22);
                g23 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 3]), dy, g23);
                g24 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 4]), dy, g24);
                g25 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 5]), dy, g25);
                g26 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 6]), dy, g26);
                g27 = Vector512.FusedMultiplyAdd(Vector512.Create(s[2 * TC.Value + 7]), dy, g27);
            }
        }
        g00.Store(partial + (0 * TC.Value + 0) * outChannels);
        g01.Store(partial + (0 * TC.Value + 1) * outChannels);
        g02.Store(partial + (0 * TC.Value + 2) * outChannels);
        g03.Store(partial + (0 * TC.Value + 3) * outChannels);
        g04.Store(partial + (0 * TC.Value + 4) * outChannels);
        g05.Store(partial + (0 * TC.Value + 5) * outChannels);
        g06.Store(partial + (0 * TC.Value + 6) * outChannels);
        g07.Store(partial + (0 * TC.Value + 7) * outChannels);
        g10.Store(partial + (1 * TC.Value + 0) * outChannels);
        g11.Store(partial + (1 * TC.Value + 1) * outChannels);
        g12.Store(partial + (1 * TC.Value + 2) * outChannels);
        g13.Store(partial + (1 * TC.Value + 3) * outChannels);
        g14.Store(partial + (1 * TC.Value + 4) * outChannels);
        g15.Store(partial + (1 * TC.Value + 5) * outChannels);
        g16.Store(partial + (1 * TC.Value + 6) * outChannels);
        g17.Store(partial + (1 * TC.Value + 7) * outChannels);
        g20.Store(partial + (2 * TC.Value + 0) * outChannels);
        g21.Store(partial + (2 * TC.Value + 1) * outChannels);
        g22.Store(partial + (2 * TC.Value + 2) * outChannels);
        g23.Store(partial + (2 * TC.Value + 3) * outChannels);
        g24.Store(partial + (2 * TC.Value + 4) * outChannels);
        g25.Store(partial + (2 * TC.Value + 5) * outChannels);
        g26.Store(partial + (2 * TC.Value + 6) * outChannels);
        g27.Store(partial + (2 * TC.Value + 7) * outChannels);
    }
}

/// <summary>A constant carried by a type, so that generic kernels are compiled once per value with it folded in.</summary>
internal interface IConstant
{
    static abstract int Value { get; }
}

internal readonly struct C1 : IConstant { public static int Value => 1; }
internal readonly struct C2 : IConstant { public static int Value => 2; }
internal readonly struct C8 : IConstant { public static int Value => 8; }
internal readonly struct C9 : IConstant { public static int Value => 9; }
internal readonly struct C16 : IConstant { public static int Value => 16; }
internal readonly struct C32 : IConstant { public static int Value => 32; }
internal readonly struct C64 : IConstant { public static int Value => 64; }
