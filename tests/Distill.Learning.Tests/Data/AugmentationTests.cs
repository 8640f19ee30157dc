using Distill.Learning.Data;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Data;

public class AugmentationTests
{
    private static Tensor Batch(int n, int c = 2, int size = 6) =>
        arange(n * c * size * size, dtype: ScalarType.Float32).view(n, c, size, size);

    [Fact]
    public void SameSeedEpochAndIndexGiveTheSameBatch()
    {
        using var x = Batch(16);
        var spec = new AugmentationSpec(2, true);
        long[] indices = [.. Enumerable.Range(100, 16).Select(i => (long)i)];
        using var a = Augmentation.Apply(x, spec, seed: 5, stream: 3, indices);
        using var b = Augmentation.Apply(x, spec, seed: 5, stream: 3, indices);
        using var c = Augmentation.Apply(x, spec, seed: 5, stream: 4, indices);
        Assert.True(TensorAssert.Identical(a, b));
        Assert.False(TensorAssert.Identical(a, c));
    }

    [Fact]
    public void EachExampleIsTheCropAndFlipItsChoiceDescribes()
    {
        const int size = 6, pad = 2;
        using var x = Batch(8, size: size);
        var spec = new AugmentationSpec(pad, true);
        long[] indices = [.. Enumerable.Range(0, 8).Select(i => (long)i * 13)];
        using var y = Augmentation.Apply(x, spec, 11, 0, indices);
        var input = x.data<float>().ToArray();
        var output = y.data<float>().ToArray();
        for (int i = 0; i < 8; i++)
        {
            var (dx, dy, flip) = Augmentation.Choice(spec, 11, 0, indices[i]);
            for (int ch = 0; ch < 2; ch++)
            for (int r = 0; r < size; r++)
            for (int col = 0; col < size; col++)
            {
                // Reference: index the zero-padded image directly, one pixel at a time.
                int sr = r + dy - pad, sc = (flip ? size - 1 - col : col) + dx - pad;
                float expected = sr < 0 || sr >= size || sc < 0 || sc >= size ? 0 : input[((i * 2 + ch) * size + sr) * size + sc];
                Assert.Equal(expected, output[((i * 2 + ch) * size + r) * size + col]);
            }
        }
    }

    [Fact]
    public void NoneLeavesTheBatchUnchanged()
    {
        using var x = Batch(3);
        using var y = Augmentation.Apply(x, AugmentationSpec.None, 1, 1, [0, 1, 2]);
        Assert.True(TensorAssert.Identical(x, y));
    }
}
