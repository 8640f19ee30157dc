using Distill.Learning.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Models;

/// <summary>
/// The paper's "AlexNet" for CIFAR, the small TensorFlow-tutorial network: conv 5x5 (64) - ReLU -
/// max-pool 3x3/2 - LRN - conv 5x5 (64) - ReLU - LRN - max-pool 3x3/2 - FC 384 - ReLU - FC 192 -
/// ReLU - linear K. "Same" padding throughout, so 32x32 inputs pool to 8x8 and 28x28 to 7x7.
/// </summary>
public sealed class AlexNetCifar : ClassifierNet
{
    public const int PenultimateWidth = 192;

    private readonly Sequential _convolutions;
    private readonly Sequential _fullyConnected;
    private readonly Linear _classifier;

    public AlexNetCifar(int inputChannels, int height, int width, int classes) : base("alexnet")
    {
        // TensorFlow's LRN (depth_radius 4, bias 1, alpha 0.001/9, beta 0.75) in PyTorch's terms:
        // window 9, and PyTorch divides alpha by the window size.
        _convolutions = Sequential(
            ("conv1", new RoutedConv2d(inputChannels, 64, 5, padding: 2)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(3, stride: 2, padding: 1)),
            ("norm1", new RoutedLocalResponseNorm(9, alpha: 0.001, beta: 0.75, k: 1.0)),
            ("conv2", new RoutedConv2d(64, 64, 5, padding: 2)),
            ("relu2", ReLU()),
            ("norm2", new RoutedLocalResponseNorm(9, alpha: 0.001, beta: 0.75, k: 1.0)),
            ("pool2", MaxPool2d(3, stride: 2, padding: 1)),
            ("flatten", Flatten()));
        long flat = 64 * PooledSize(PooledSize(height)) * PooledSize(PooledSize(width));
        _fullyConnected = Sequential(
            ("fc1", new RoutedLinear(flat, 384)),
            ("relu3", ReLU()),
            ("fc2", new RoutedLinear(384, PenultimateWidth)),
            ("relu4", ReLU()));
        _classifier = Linear(PenultimateWidth, classes);
        RegisterComponents();
    }

    public override Linear Classifier => _classifier;

    public override Tensor Features(Tensor x)
    {
        using var conv = _convolutions.call(x);
        return _fullyConnected.call(conv);
    }

    /// <summary>conv1 (after its pool and LRN), conv2 (after its LRN and pool), fc1, then the embedding (fc2).</summary>
    protected override IEnumerable<(string Point, Module<Tensor, Tensor> Layer)> FeatureLayers() =>
        Tagged(_convolutions, layer => layer.EndsWith('1') ? "conv1" : layer == "flatten" ? "fc1" : "conv2")
            .Concat(Tagged(_fullyConnected, layer => layer.EndsWith('3') || layer == "fc1" ? "fc1" : FeaturePoints.Embedding));

    public override string ExportOnnx(OnnxGraphBuilder graph, string input, string path)
    {
        var features = graph.Apply(_fullyConnected, graph.Apply(_convolutions, input, "_convolutions"), "_fullyConnected");
        return graph.Apply(_classifier, features, "_classifier");
    }

    /// <summary>Output size of a 3x3 stride-2 max-pool with padding 1.</summary>
    private static long PooledSize(long size) => (size + 2 - 3) / 2 + 1;
}
