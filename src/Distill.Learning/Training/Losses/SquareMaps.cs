using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// What NST, VID and FSP share, as RepDistiller's code does it: two square feature maps of different sizes are compared
/// after the larger is average-pooled to the smaller's height and width.
/// </summary>
public static class SquareMaps
{
    /// <summary>Why <paramref name="method"/> cannot compare maps of these C x H x W shapes; null when it can.</summary>
    public static string? Problem(string method, long[] student, long[] teacher) =>
        student.Length != 3 || teacher.Length != 3 ? $"{method} needs feature maps in both models, not vectors"
        : student[1] != student[2] || teacher[1] != teacher[2] ? $"{method} needs square feature maps (the larger is pooled to the smaller's size)"
        : null;

    /// <summary>The two maps at the smaller one's size: the larger average-pooled, the other as it is.</summary>
    public static (Tensor A, Tensor B) AtCommonSize(Tensor a, Tensor b)
    {
        long size = Math.Min(a.shape[2], b.shape[2]);
        Tensor Pooled(Tensor map) => map.shape[2] > size ? nn.functional.adaptive_avg_pool2d(map, [size, size]) : map;
        return (Pooled(a), Pooled(b));
    }
}
