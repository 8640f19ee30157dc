using Distill.Learning.Randomness;
using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>Pad-and-random-crop and horizontal flip settings.</summary>
public sealed record AugmentationSpec(int CropPadding = 4, bool Flip = true)
{
    public static readonly AugmentationSpec None = new(0, false);

    public bool IsIdentity => CropPadding == 0 && !Flip;

    public override string ToString() => $"crop-padding={CropPadding},flip={Flip.ToString().ToLowerInvariant()}";
}

/// <summary>
/// Batch-wise augmentation on tensors. The crop offset and flip of an example are a pure function of
/// (seed, stream, example index), so any augmented batch can be re-created exactly: the trainer
/// passes the epoch as the stream, the logit cache passes the view number.
/// </summary>
public static class Augmentation
{
    /// <summary>The (dx, dy, flip) of one example.</summary>
    public static (int Dx, int Dy, bool Flip) Choice(AugmentationSpec spec, long seed, long stream, long exampleIndex)
    {
        var h = DeterministicRandom.Hash(seed, stream, exampleIndex);
        int range = 2 * spec.CropPadding + 1;
        int dx = spec.CropPadding == 0 ? 0 : DeterministicRandom.NextInt(h, range);
        int dy = spec.CropPadding == 0 ? 0 : DeterministicRandom.NextInt(DeterministicRandom.Hash((long)h, 1), range);
        bool flip = spec.Flip && (DeterministicRandom.Hash((long)h, 2) & 1) == 1;
        return (dx, dy, flip);
    }

    /// <summary>Augments a float batch N x C x H x W; returns a new tensor of the same shape.</summary>
    public static Tensor Apply(Tensor batch, AugmentationSpec spec, long seed, long stream, ReadOnlySpan<long> exampleIndices)
    {
        var streams = new long[exampleIndices.Length];
        Array.Fill(streams, stream);
        return Apply(batch, spec, seed, streams, exampleIndices, viewZeroIsPlain: false);
    }

    /// <summary>
    /// Augments each example with its own stream. With <paramref name="viewZeroIsPlain"/>, examples
    /// whose stream is 0 are left as they are (view 0 of a logit cache is the plain image).
    /// </summary>
    public static Tensor Apply(Tensor batch, AugmentationSpec spec, long seed, ReadOnlySpan<long> streams, ReadOnlySpan<long> exampleIndices, bool viewZeroIsPlain)
    {
        if (spec.IsIdentity) return batch.alias();
        long n = batch.shape[0], c = batch.shape[1], h = batch.shape[2], w = batch.shape[3];
        int p = spec.CropPadding;

        // Row and column source indices per example into the zero-padded batch; a flip reverses the columns.
        var rows = new long[n * h];
        var cols = new long[n * w];
        for (int i = 0; i < n; i++)
        {
            var (dx, dy, flip) = viewZeroIsPlain && streams[i] == 0 ? (p, p, false) : Choice(spec, seed, streams[i], exampleIndices[i]);
            for (int y = 0; y < h; y++) rows[i * h + y] = dy + y;
            for (int x = 0; x < w; x++) cols[i * w + x] = dx + (flip ? w - 1 - x : x);
        }

        using var scope = NewDisposeScope();
        var padded = p > 0 ? nn.functional.pad(batch, [p, p, p, p]) : batch;
        var rowIndex = tensor(rows, device: batch.device).view(n, 1, h, 1).expand(n, c, h, w + 2 * p);
        var colIndex = tensor(cols, device: batch.device).view(n, 1, 1, w).expand(n, c, h, w);
        return padded.gather(2, rowIndex).gather(3, colIndex).MoveToOuterDisposeScope();
    }
}
