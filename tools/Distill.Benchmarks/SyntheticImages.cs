using Distill.Learning.Data;
using static TorchSharp.torch;

namespace Distill.Benchmarks;

/// <summary>Random 32x32x3 images with balanced labels: what the benchmarks train on (speed does not depend on content).</summary>
internal static class SyntheticImages
{
    public static LabeledImages Create(int examples, int classes)
    {
        manual_seed(0);
        return new LabeledImages(randint(0, 256, [examples, 3, 32, 32], ScalarType.Byte),
            Enumerable.Range(0, examples).Select(i => (long)(i % classes)).ToArray(),
            Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray());
    }
}
