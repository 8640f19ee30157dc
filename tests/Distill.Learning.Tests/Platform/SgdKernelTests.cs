using Distill.Learning.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>The fused SGD loop against LibTorch's operations, bit for bit, on every tail length and awkward values.</summary>
public unsafe class SgdKernelTests
{
    /// <summary>LibTorch's update, operation for operation, as <see cref="Training.SGD"/> ran it before the loop.</summary>
    private static void LibTorchUpdate(Tensor p, Tensor g, Tensor? b, double wd, double mu, double kept, double descent, bool nesterov)
    {
        using var scope = NewDisposeScope();
        using Scalar weightDecay = wd.ToScalar(), momentum = mu.ToScalar(), dampened = kept.ToScalar(), step = descent.ToScalar();
        var d = wd != 0 ? g.add(p, alpha: weightDecay) : g;
        if (b is not null)
        {
            b.mul_(momentum).add_(d, alpha: dampened);
            d = nesterov ? d.add(b, alpha: momentum) : b;
        }
        p.add_(d, alpha: step);
    }

    /// <summary>Random values with zeros of both signs, subnormals and large ones mixed in.</summary>
    private static Tensor Values(long count, int seed)
    {
        var random = new Random(seed);
        float[] special = [0f, -0f, 1e-40f, -3e-39f, 3e30f, -1e-20f, 1f];
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = random.Next(6) == 0 ? special[random.Next(special.Length)] : (float)(random.NextDouble() * 4 - 2);
        return tensor(values);
    }

    private static int[] Bits(Tensor t) => t.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(5e-4, 0.9, 1.0, -0.1, true)]
    [InlineData(5e-4, 0.9, 1.0, -0.1, false)]
    [InlineData(0.0, 0.9, 0.9, -0.05, true)]
    [InlineData(1e-3, 0.0, 1.0, -0.3, false)]
    [InlineData(0.0, 0.0, 1.0, 0.2, false)]
    public void Updates_each_element_as_LibTorchs_operations_do_to_the_bit(double wd, double mu, double kept, double descent, bool nesterov)
    {
        var k = SgdKernels.Coefficients.Of(wd, mu, kept, descent, nesterov);
        foreach (long count in new long[] { 1, 7, 8, 9, 15, 16, 17, 31, 33, 2304, 2311 })
        {
            using var p = Values(count, 1);
            using var g = Values(count, 2);
            using var b = Values(count, 3);
            using var pRef = p.clone();
            using var bRef = b.clone();
            LibTorchUpdate(pRef, g, mu != 0 ? bRef : null, wd, mu, kept, descent, nesterov);
            SgdKernels.Update(TensorMemory.Float32(p), TensorMemory.Float32(g), mu != 0 ? TensorMemory.Float32(b) : null, 0, count, k);

            Assert.False(TensorAssert.Identical(p, Values(count, 1)), "the update moved the parameter");
            Assert.Equal(Bits(pRef), Bits(p));
            Assert.Equal(Bits(bRef), Bits(b));
        }
    }

    [Fact]
    public void Updates_only_the_chunk_it_is_given()
    {
        var k = SgdKernels.Coefficients.Of(5e-4, 0.9, 1, -0.1, true);
        using var p = Values(40, 4);
        using var g = Values(40, 5);
        using var b = Values(40, 6);
        using var before = p.clone();
        using var bufferBefore = b.clone();
        SgdKernels.Update(TensorMemory.Float32(p), TensorMemory.Float32(g), TensorMemory.Float32(b), 9, 30, k);

        Assert.Equal(Bits(before)[..9], Bits(p)[..9]);
        Assert.Equal(Bits(before)[30..], Bits(p)[30..]);
        Assert.Equal(Bits(bufferBefore)[30..], Bits(b)[30..]);
        Assert.NotEqual(Bits(before)[9..30], Bits(p)[9..30]);
    }

    [Fact]
    public void Takes_only_float32_contiguous_cpu_parameters_whose_gradient_and_buffer_match()
    {
        using var p = zeros(4, 3);
        using var g = zeros(4, 3);
        using var wrongType = zeros(new long[] { 4, 3 }, ScalarType.Float64);
        using var transposed = zeros(3, 4).t();
        using var shorter = zeros(11);
        Assert.True(SgdUpdate.Fits(p, g, null));
        Assert.True(SgdUpdate.Fits(p, g, g));
        Assert.False(SgdUpdate.Fits(wrongType, g, null));
        Assert.False(SgdUpdate.Fits(p, transposed, null));
        Assert.False(SgdUpdate.Fits(p, g, shorter));
    }
}
