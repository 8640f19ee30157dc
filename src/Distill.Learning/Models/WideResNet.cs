using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Models;

/// <summary>
/// The wide ResNet of Zagoruyko and Komodakis (2016), WRN-d-k as in the distillation benchmarks (RepDistiller's
/// wrn_16_2, wrn_40_2): depth 6n+4, a 3x3 stem of 16 channels and three stages of n pre-activation basic blocks with
/// 16k/32k/64k channels, strides 1/2/2; a block whose shape changes takes a 1x1 convolution of its pre-activated
/// input as shortcut. A final batch norm and ReLU, global average pooling and a linear classifier. No dropout.
/// </summary>
public sealed class WideResNet : ClassifierNet
{
    private readonly Sequential _body;
    private readonly Linear _classifier;

    public WideResNet(int depth, int widenFactor, int inputChannels, int classes) : base($"wrn-{depth}-{widenFactor}")
    {
        if (depth < 10 || (depth - 4) % 6 != 0)
            throw new ArgumentException($"WRN depth must be 6n+4 with n >= 1 (10, 16, 22, 28, 40 ...), got {depth}");
        if (widenFactor < 1) throw new ArgumentException($"WRN widen factor must be at least 1, got {widenFactor}");
        int blocksPerStage = (depth - 4) / 6;
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("stem", new RoutedConv2d(inputChannels, 16, 3, padding: 1, bias: false)) };
        int channels = 16;
        for (int stage = 0; stage < 3; stage++)
        {
            int outChannels = (16 << stage) * widenFactor;
            for (int b = 0; b < blocksPerStage; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                layers.Add(($"stage{stage + 1}_block{b + 1}", new PreActivationBlock($"block{stage}_{b}", channels, outChannels, stride)));
                channels = outChannels;
            }
        }
        layers.Add(("bn", BatchNorm2d(channels)));
        layers.Add(("relu", ReLU(inplace: true)));
        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        _body = Sequential(layers);
        _classifier = Linear(channels, classes);
        RegisterComponents();
    }

    public override Linear Classifier => _classifier;

    public override Tensor Features(Tensor x) => RunFeatureLayers(x);

    protected override IEnumerable<(string Point, Module<Tensor, Tensor> Layer)> FeatureLayers() => Tagged(_body, StagePoint);

    public override string ExportOnnx(OnnxGraphBuilder graph, string input, string path) =>
        graph.Apply(_classifier, graph.Apply(_body, input, "_body"), "_classifier");

    private sealed class PreActivationBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly BatchNorm2d bn1, bn2;
        private readonly RoutedConv2d conv1, conv2;
        private readonly RoutedConv2d? shortcut;

        public PreActivationBlock(string name, int inChannels, int outChannels, int stride) : base(name)
        {
            bn1 = BatchNorm2d(inChannels);
            conv1 = new RoutedConv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(outChannels);
            conv2 = new RoutedConv2d(outChannels, outChannels, 3, padding: 1, bias: false);
            // Only blocks that change shape have one (a null field registers nothing, so names match the twin's).
            shortcut = inChannels == outChannels && stride == 1 ? null : new RoutedConv2d(inChannels, outChannels, 1, stride: stride, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var activated = BatchNormRelu.Apply(bn1, x);
            var y = conv1.call(activated);
            y = conv2.call(BatchNormRelu.Apply(bn2, y));
            var identity = shortcut is null ? x : shortcut.call(activated);
            return y.add_(identity).MoveToOuterDisposeScope();
        }

        public string ExportOnnx(OnnxGraphBuilder graph, string input, string path)
        {
            var activated = graph.Relu(graph.Apply(bn1, input, $"{path}.bn1"), $"{path}.bn1");
            var y = graph.Apply(conv1, activated, $"{path}.conv1");
            y = graph.Apply(conv2, graph.Relu(graph.Apply(bn2, y, $"{path}.bn2"), $"{path}.bn2"), $"{path}.conv2");
            var identity = shortcut is null ? input : graph.Apply(shortcut, activated, $"{path}.shortcut");
            return graph.Add(y, identity, path);
        }
    }
}
