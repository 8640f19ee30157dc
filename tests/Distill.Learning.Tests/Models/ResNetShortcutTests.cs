using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models;

/// <summary>
/// Option A's shortcut subsamples with a 1x1 average pool: the values and gradients of indexing with a step, bit for bit,
/// and, unlike indexing, channels-last both ways (so autograd adds two channels-last gradients at the block's input).
/// </summary>
public sealed class ResNetShortcutTests
{
    public static TheoryData<ScalarType, long> Cases => new() { { ScalarType.Float32, 7 }, { ScalarType.Float32, 8 }, { ScalarType.BFloat16, 8 } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_one_by_one_average_pool_subsamples_as_indexing_does_and_keeps_channels_last(ScalarType type, long size)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        // Block inputs are ReLU outputs: zeros and positive values.
        var x = randn(4, size, size, 16).relu().to(type).permute(0, 3, 1, 2).detach().requires_grad_(true);
        var pooled = nn.functional.avg_pool2d(x, 1, 2);
        var indexed = x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
        var g = randn(pooled.shape).to(type);

        var fromPool = autograd.grad([pooled], [x], [g])[0];
        var fromIndex = autograd.grad([indexed], [x], [g])[0];

        Assert.Equal(indexed.shape, pooled.shape);
        Assert.True(Bits(pooled).SequenceEqual(Bits(indexed)), "the pool's values differ from indexing's");
        Assert.True(Bits(fromPool).SequenceEqual(Bits(fromIndex)), "the pool's gradient differs from indexing's");
        Assert.True(RoutedConvolution.IsChannelsLast(pooled));
        Assert.True(RoutedConvolution.IsChannelsLast(fromPool));
    }

    /// <summary>The raw bytes in NCHW order.</summary>
    private static byte[] Bits(Tensor t) => t.detach().contiguous().bytes.ToArray();
}
