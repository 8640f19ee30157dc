using Distill.Learning.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>The fused SGD loop against LibTorch's operations, bit for bit, on every tail length and awkward values.</summary>
public unsafe class SgdKernelTests
{
    private static Tensor Values(long count, int seed) => SgdSelfCheck.Values(count, new Random(seed));

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
            SgdSelfCheck.LibTorchUpdate(pRef, g, mu != 0 ? bRef : null, wd, mu, kept, descent, nesterov);
            SgdKernels.Update(TensorMemory.Float32(p), TensorMemory.Float32(g), mu != 0 ? TensorMemory.Float32(b) : null, 0, count, k);

            Assert.False(TensorAssert.Identical(p, Values(count, 1)), "the update moved the parameter");
            Assert.Equal(Bits(pRef), Bits(p));
            Assert.Equal(Bits(bRef), Bits(b));
        }
    }

    [Fact]
    public void Self_check_finds_LibTorchs_bits_on_this_machine() => Assert.True(SgdSelfCheck.Measure());

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
