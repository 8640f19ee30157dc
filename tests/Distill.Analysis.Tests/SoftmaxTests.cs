using Distill.Analysis.Calibration;

namespace Distill.Analysis.Tests;

public class SoftmaxTests
{
    [Fact]
    public void Probabilities_sum_to_one_and_match_the_textbook_formula()
    {
        double[] z = [1.0, -2.0, 0.5, 3.0];
        double[] p = Softmax.Compute(z, 2.0);
        double denominator = z.Sum(v => Math.Exp(v / 2.0));
        for (int k = 0; k < z.Length; k++)
            Assert.Equal(Math.Exp(z[k] / 2.0) / denominator, p[k], 14);
        Assert.Equal(1.0, p.Sum(), 14);
    }

    [Fact]
    public void Large_logits_do_not_overflow()
    {
        double[] p = Softmax.Compute([1000.0, 999.0, -1000.0], 1.0);
        Assert.All(p, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), p[0], 12);
        Assert.Equal(1000.0 + Math.Log(1 + Math.Exp(-1)), Softmax.LogSumExp([1000.0, 999.0, -1000.0]), 10);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Rejects_non_positive_or_non_finite_temperature(double temperature)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Compute([1.0, 2.0], temperature));
    }

    [Fact]
    public void LogitMatrix_checks_shape_and_values()
    {
        Assert.Throws<ArgumentException>(() => new LogitMatrix(new double[7], 3));
        Assert.Throws<ArgumentException>(() => new LogitMatrix([1.0, double.NaN], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogitMatrix(new double[4], 1));
        var m = LogitMatrix.FromFloats([1f, 2f, 3f, 4f, 5f, 6f], 3);
        Assert.Equal(2, m.Rows);
        Assert.Equal(5.0, m.Row(1)[1]);
    }
}
