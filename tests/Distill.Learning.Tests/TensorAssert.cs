using static TorchSharp.torch;

namespace Distill.Learning.Tests;

internal static class TensorAssert
{
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var same = a.eq(b).all();
        return same.item<bool>();
    }
}
