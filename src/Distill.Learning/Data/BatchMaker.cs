using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// Turns example indices of a split into a model-ready batch on a device: gather the uint8 images,
/// scale to [0, 1], augment (optional), standardise with the training statistics.
/// </summary>
public sealed class BatchMaker(LabeledImages images, ChannelStatistics statistics, Device device)
{
    public LabeledImages Images { get; } = images;

    public (Tensor Inputs, Tensor Labels) Make(ReadOnlySpan<long> indices, AugmentationSpec augmentation, long seed, long stream)
    {
        var streams = new long[indices.Length];
        Array.Fill(streams, stream);
        return MakeViews(indices, augmentation, seed, streams, viewZeroIsPlain: false);
    }

    /// <summary>
    /// As <see cref="Make"/>, with a stream per example; stream 0 is taken as "view 0", the plain
    /// image, when <paramref name="viewZeroIsPlain"/> is set (the logit cache's convention).
    /// </summary>
    public (Tensor Inputs, Tensor Labels) MakeViews(ReadOnlySpan<long> indices, AugmentationSpec augmentation, long seed, ReadOnlySpan<long> streams, bool viewZeroIsPlain = true)
    {
        using var scope = NewDisposeScope();
        var index = tensor(indices.ToArray(), dtype: ScalarType.Int64);
        var x = Images.Images.index_select(0, index).to(device).to_type(ScalarType.Float32).div_(255f);
        var augmented = Augmentation.Apply(x, augmentation, seed, streams, indices, viewZeroIsPlain);
        var inputs = statistics.Standardise(augmented);
        var labels = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) labels[i] = Images.Labels[indices[i]];
        var labelTensor = tensor(labels, device: device);
        return (inputs.MoveToOuterDisposeScope(), labelTensor.MoveToOuterDisposeScope());
    }
}
