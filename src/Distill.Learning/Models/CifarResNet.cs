using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Learning.Models;

/// <summary>
/// The CIFAR ResNet of He et al. (2016, section 4.2): depth 6n+2, a 3x3 stem and three stages of n
/// basic blocks with 16/32/64 channels (times width/16), strides 1/2/2, global average pooling and a
/// linear classifier. Shortcuts that change shape subsample and zero-pad channels ("option A"), which
/// gives the published parameter counts (0.27 M for ResNet-20, 0.85 M for ResNet-56). With
/// <c>projection</c>, such a shortcut is a strided 1x1 convolution and batch norm instead ("option B", RepDistiller's
/// form), and <c>stemWidth</c> lets the stem differ from the first stage (resnet8x4: stem 32, stages 64/128/256).
/// </summary>
public sealed class CifarResNet : ClassifierNet
{
    private readonly Sequential _body;
    private readonly Linear _classifier;

    public CifarResNet(int depth, int inputChannels, int classes, int width = 16, int? stemWidth = null, bool projection = false)
        : base($"resnet{depth}")
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"ResNet depth must be 6n+2 with n >= 1 (20, 32, 44, 56, 110...), got {depth}");
        int blocksPerStage = (depth - 2) / 6;
        Depth = depth;
        Projection = projection;

        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("stem", new RoutedConv2d(inputChannels, stemWidth ?? width, 3, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(stemWidth ?? width)),
            ("stem_relu", ReLU(inplace: true)),
        };
        int channels = stemWidth ?? width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outChannels = width << stage;
            for (int b = 0; b < blocksPerStage; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                layers.Add(($"stage{stage + 1}_block{b + 1}", new BasicBlock($"block{stage}_{b}", channels, outChannels, stride, projection)));
                channels = outChannels;
            }
        }
        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        _body = Sequential(layers);
        _classifier = Linear(channels, classes);
        RegisterComponents();
    }

    public int Depth { get; }

    /// <summary>Whether blocks that change shape project their input (option B) rather than zero-pad it (option A).</summary>
    public bool Projection { get; }

    public override Linear Classifier => _classifier;

    public override Tensor Features(Tensor x) => RunFeatureLayers(x);

    protected override IEnumerable<(string Point, Module<Tensor, Tensor> Layer)> FeatureLayers() => Tagged(_body, StagePoint);

    public override string ExportOnnx(OnnxGraphBuilder graph, string input, string path) =>
        graph.Apply(_classifier, graph.Apply(_body, input, "_body"), "_classifier");

    private sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable, IPreActivationLayer
    {
        private readonly RoutedConv2d conv1, conv2;
        private readonly BatchNorm2d bn1, bn2;
        // Only projection blocks that change shape have these (a null field registers nothing, so names match the twin's).
        private readonly RoutedConv2d? shortcut;
        private readonly BatchNorm2d? shortcut_bn;
        private readonly int _stride;
        private readonly long _padChannels;

        public BasicBlock(string name, int inChannels, int outChannels, int stride, bool projection) : base(name)
        {
            conv1 = new RoutedConv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(outChannels);
            conv2 = new RoutedConv2d(outChannels, outChannels, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(outChannels);
            if (projection && (stride != 1 || inChannels != outChannels))
            {
                shortcut = new RoutedConv2d(inChannels, outChannels, 1, stride: stride, bias: false);
                shortcut_bn = BatchNorm2d(outChannels);
            }
            else
            {
                _stride = stride;
                _padChannels = outChannels - inChannels;
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv2.call(BatchNormRelu.Apply(bn1, conv1.call(x)));
            return BatchNormRelu.Apply(bn2, y, Shortcut(x)).MoveToOuterDisposeScope();
        }

        public BatchNorm2d NormBeforeActivation => bn2;

        /// <summary>The sum before the last ReLU is kept, so batch norm, add and ReLU run as LibTorch's three operations.</summary>
        public (Tensor PreActivation, Tensor Output) ForwardWithPreActivation(Tensor x)
        {
            using var scope = NewDisposeScope();
            var sum = bn2.call(conv2.call(BatchNormRelu.Apply(bn1, conv1.call(x)))).add(Shortcut(x));
            var output = functional.relu(sum);
            return (sum.MoveToOuterDisposeScope(), output.MoveToOuterDisposeScope());
        }

        private Tensor Shortcut(Tensor x)
        {
            if (shortcut is not null) return shortcut_bn!.call(shortcut.call(x));
            var identity = x;
            // The strided subsample as a 1x1 average pool: the same values, and unlike indexing it keeps channels-last,
            // forward and backward (indexing's gradient comes back NCHW, which autograd then adds to the first
            // convolution's channels-last one, and the fused batch norm copies its NCHW residual first).
            if (_stride > 1)
                identity = functional.avg_pool2d(identity, 1, _stride);
            if (_padChannels > 0)
            {
                long half = _padChannels / 2;
                identity = functional.pad(identity, [0, 0, 0, 0, half, _padChannels - half]);
            }
            return identity;
        }

        public string ExportOnnx(OnnxGraphBuilder graph, string input, string path)
        {
            var y = graph.Relu(graph.Apply(bn1, graph.Apply(conv1, input, $"{path}.conv1"), $"{path}.bn1"), $"{path}.bn1");
            y = graph.Apply(bn2, graph.Apply(conv2, y, $"{path}.conv2"), $"{path}.bn2");
            if (shortcut is not null)
                return graph.Relu(graph.Add(y, graph.Apply(shortcut_bn!, graph.Apply(shortcut, input, $"{path}.shortcut"), $"{path}.shortcut_bn"), path), path);
            var identity = input;
            if (_stride > 1) identity = graph.Subsample(identity, _stride, path);
            if (_padChannels > 0) identity = graph.PadChannels(identity, _padChannels / 2, _padChannels - _padChannels / 2, path);
            return graph.Relu(graph.Add(y, identity, path), path);
        }
    }
}
