using static TorchSharp.torch;

namespace Distill.Learning.Data;

/// <summary>
/// Per-channel mean and standard deviation of images scaled to [0, 1]: the training split's, or fixed ones a pipeline
/// gives (<see cref="Given"/>: the constants a model from elsewhere was trained with).
/// </summary>
public sealed record ChannelStatistics(float[] Mean, float[] Std)
{
    /// <summary>Set by the pipeline rather than computed from the training split.</summary>
    public bool Given { get; init; }

    public static ChannelStatistics Compute(Tensor uint8Images)
    {
        using var scope = NewDisposeScope();
        var x = uint8Images.to_type(ScalarType.Float32).div_(255f);
        var mean = x.mean([0, 2, 3]).data<float>().ToArray();
        var std = x.std([0, 2, 3], unbiased: false).data<float>().ToArray();
        return new ChannelStatistics(mean, std.Select(s => Math.Max(s, 1e-6f)).ToArray());
    }

    /// <summary>Standardises a float batch in [0, 1] (N x C x H x W) channel by channel.</summary>
    public Tensor Standardise(Tensor batch)
    {
        using var mean = tensor(Mean, device: batch.device).view(1, -1, 1, 1);
        using var std = tensor(Std, device: batch.device).view(1, -1, 1, 1);
        return (batch - mean).div_(std);
    }
}
