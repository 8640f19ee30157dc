using Distill.Learning.Data;

namespace Distill.Learning.Tests.Data;

/// <summary>Reads the real Fashion-MNIST files that .ci/run installs (Debian package dataset-fashion-mnist).</summary>
public class FashionMnistTests
{
    [Fact]
    public void LoadsTheTestSplit()
    {
        var dataset = new FashionMnistDataset();
        using var test = dataset.Load(SourceSplit.Test);
        Assert.Equal(new long[] { 10000, 1, 28, 28 }, test.Images.shape);
        Assert.Equal(10, test.ClassNames.Count);
        // The published test split is balanced: 1000 examples per class.
        Assert.All(test.Labels.GroupBy(l => l), g => Assert.Equal(1000, g.Count()));
        Assert.StartsWith("fashion-mnist:", dataset.Fingerprint());
    }
}
