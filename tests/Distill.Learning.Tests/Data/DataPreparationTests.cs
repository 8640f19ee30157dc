using Distill.Learning.Data;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Data;

public class DataPreparationTests
{
    internal static LabeledImages Synthetic(int n, int classes = 4, int channels = 1, int size = 8)
    {
        var pixels = new byte[n * channels * size * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 256);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray();
        var names = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        return new LabeledImages(tensor(pixels, [n, channels, size, size], ScalarType.Byte), labels, names);
    }

    [Fact]
    public void SplitIsDeterministicDisjointAndComplete()
    {
        using var train = Synthetic(200);
        using var test = Synthetic(40);
        var options = new SplitOptions { ValidationSize = 50, Seed = 7 };
        using var a = DataPreparation.Prepare(train, test, options);
        using var b = DataPreparation.Prepare(train, test, options);
        Assert.Equal(150, a.Train.Count);
        Assert.Equal(50, a.Validation.Count);
        Assert.True(TensorAssert.Identical(a.Validation.Images, b.Validation.Images));

        using var other = DataPreparation.Prepare(train, test, options with { Seed = 8 });
        Assert.False(TensorAssert.Identical(a.Validation.Images, other.Validation.Images));
    }

    [Theory]
    [InlineData(SubsetMode.FirstPerClass)]
    [InlineData(SubsetMode.Stratified)]
    public void SubsetTakesAnEqualShareOfEachClass(SubsetMode mode)
    {
        var labels = Enumerable.Range(0, 100).Select(i => (long)(i % 4)).ToArray();
        var candidates = Enumerable.Range(0, 100).Select(i => (long)i).ToArray();
        var chosen = DataPreparation.ChooseSubset(candidates, labels, 22, new SplitOptions { SubsetMode = mode, Seed = 3 }, "train");
        Assert.Equal(22, chosen.Length);
        Assert.Equal(new[] { 6, 6, 5, 5 }, chosen.GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.Count()));
        if (mode == SubsetMode.FirstPerClass)
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i).Concat([20, 21]), chosen);
    }

    [Fact]
    public void StandardisationUsesTrainingStatistics()
    {
        using var train = Synthetic(64, channels: 3);
        var stats = ChannelStatistics.Compute(train.Images);
        using var x = train.Images.to_type(ScalarType.Float32).div(255f);
        using var z = stats.Standardise(x);
        var mean = z.mean([0, 2, 3]).data<float>().ToArray();
        var std = z.std([0, 2, 3], unbiased: false).data<float>().ToArray();
        Assert.All(mean, m => Assert.InRange(m, -1e-4, 1e-4));
        Assert.All(std, s => Assert.InRange(s, 1 - 1e-3, 1 + 1e-3));
    }
}
