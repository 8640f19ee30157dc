using static TorchSharp.torch;

namespace Distill.Learning.Tests;

public class TorchSmokeTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        // Fails with a DllNotFoundException / TypeInitializationException when the build's native fix is missing.
        using var a = arange(6, dtype: ScalarType.Float32).view(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
    }
}
