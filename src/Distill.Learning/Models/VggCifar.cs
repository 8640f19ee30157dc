using Distill.Learning.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Models;

/// <summary>
/// The CIFAR VGG of the distillation benchmarks (RepDistiller's vgg8_bn, vgg11_bn, vgg13_bn): five stages of 3x3
/// convolutions (with bias) each followed by batch norm and ReLU, of 64, 128, 256, 512 and 512 channels; 2x2 max
/// pooling before stages 2, 3 and 4 (RepDistiller pools before stage 5 only for 64-pixel images), global average
/// pooling and a linear classifier. Depth 8 has one convolution per stage, 11 has 1, 1, 2, 2, 2 and 13 has two each.
/// </summary>
public sealed class VggCifar : ClassifierNet
{
    private static readonly int[] Channels = [64, 128, 256, 512, 512];

    /// <summary>Convolutions per stage for each depth (depth = convolutions + 3, counting RepDistiller's way).</summary>
    public static readonly IReadOnlyDictionary<int, int[]> Plans = new Dictionary<int, int[]>
    {
        [8] = [1, 1, 1, 1, 1],
        [11] = [1, 1, 2, 2, 2],
        [13] = [2, 2, 2, 2, 2],
    };

    private readonly Sequential _body;
    private readonly Linear _classifier;

    public VggCifar(int depth, int inputChannels, int classes) : base($"vgg{depth}")
    {
        if (!Plans.TryGetValue(depth, out var plan))
            throw new ArgumentException($"VGG depth must be one of {string.Join(", ", Plans.Keys)}, got {depth}");
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int channels = inputChannels;
        for (int stage = 0; stage < Channels.Length; stage++)
        {
            string name = $"stage{stage + 1}";
            // Pooling opens stages 2 to 4, so each stage's point is its last activation at full resolution (RepDistiller's f0..f4).
            if (stage is >= 1 and <= 3) layers.Add(($"{name}_pool", MaxPool2d(2, 2)));
            for (int c = 0; c < plan[stage]; c++)
            {
                layers.Add(($"{name}_conv{c + 1}", new RoutedConv2d(channels, Channels[stage], 3, padding: 1)));
                layers.Add(($"{name}_bn{c + 1}", BatchNorm2d(Channels[stage])));
                layers.Add(($"{name}_relu{c + 1}", ReLU(inplace: true)));
                channels = Channels[stage];
            }
        }
        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        _body = Sequential(layers);
        _classifier = Linear(channels, classes);
        Depth = depth;
        RegisterComponents();
    }

    public int Depth { get; }

    public override Linear Classifier => _classifier;

    public override Tensor Features(Tensor x) => RunFeatureLayers(x);

    protected override IEnumerable<(string Point, Module<Tensor, Tensor> Layer)> FeatureLayers() => Tagged(_body, StagePoint);

    public override string ExportOnnx(OnnxGraphBuilder graph, string input, string path) =>
        graph.Apply(_classifier, graph.Apply(_body, input, "_body"), "_classifier");
}
