using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// A set of labelled images held as one tensor: uint8 (or float32) N x C x H x W, with a label per
/// image and the dataset's class names. Owns its tensor.
/// </summary>
public sealed class LabeledImages : IDisposable
{
    /// <param name="sourceIndices">Each example's index in the published split it came from; by default 0..N-1.</param>
    public LabeledImages(Tensor images, long[] labels, IReadOnlyList<string> classNames, long[]? sourceIndices = null)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"images must be N x C x H x W, got shape [{string.Join(", ", images.shape)}]");
        if (images.shape[0] != labels.Length)
            throw new ArgumentException($"{images.shape[0]} images but {labels.Length} labels");
        if (sourceIndices is not null && sourceIndices.Length != labels.Length)
            throw new ArgumentException($"{labels.Length} labels but {sourceIndices.Length} source indices");
        Images = images;
        Labels = labels;
        ClassNames = classNames;
        SourceIndices = sourceIndices ?? Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray();
    }

    public Tensor Images { get; }
    public long[] Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where each example sits in the published dataset split (kept through <see cref="Select"/>).</summary>
    public long[] SourceIndices { get; }

    public int Count => Labels.Length;
    public int Channels => (int)Images.shape[1];
    public int Height => (int)Images.shape[2];
    public int Width => (int)Images.shape[3];

    /// <summary>A new set holding copies of the given examples, in the given order.</summary>
    public LabeledImages Select(IReadOnlyList<long> indices)
    {
        using var index = tensor(indices.ToArray(), dtype: ScalarType.Int64);
        var images = Images.index_select(0, index);
        var labels = indices.Select(i => Labels[i]).ToArray();
        return new LabeledImages(images, labels, ClassNames, indices.Select(i => SourceIndices[i]).ToArray());
    }

    public void Dispose() => Images.Dispose();
}
