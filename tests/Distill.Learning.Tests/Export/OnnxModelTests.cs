using Distill.Learning.Export;
using Distill.Learning.Models;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Export;

public class OnnxModelTests
{
    /// <summary>The largest |logit| difference this test accepts between ONNX Runtime and TorchSharp (the 1e-5).</summary>
    private const float Tolerance = 1e-5f;

    private readonly ITestOutputHelper _output;

    public OnnxModelTests(ITestOutputHelper output) => _output = output;

    // Every architecture, in colour and in grey at Fashion-MNIST's odd pooled sizes (28 -> 14 -> 7).
    public static TheoryData<string, int, int> Architectures => new()
    {
        { "resnet", 3, 16 }, { "resnet", 1, 28 }, { "wrn", 3, 16 }, { "wrn", 1, 28 }, { "alexnet", 3, 16 }, { "alexnet", 1, 28 },
        { "resnet-x4", 3, 16 }, { "resnet-x4", 1, 28 }, { "vgg", 3, 16 }, { "vgg", 1, 28 },
    };

    // resnet8 at width 4 has each kind of block: identity shortcut (stage 1), subsampled and zero-padded (stages 2, 3);
    // wrn-10-1 has a block without and two with a 1x1 shortcut; resnet-x4's form at stem 4, width 8 projects in every stage.
    private static ClassifierNet Create(string architecture, int channels, int size, int classes) => architecture switch
    {
        "resnet" => new CifarResNet(8, channels, classes, width: 4),
        "wrn" => new WideResNet(10, 1, channels, classes),
        "alexnet" => new AlexNetCifar(channels, size, size, classes),
        "resnet-x4" => new CifarResNet(8, channels, classes, 8, stemWidth: 4, projection: true),
        "vgg" => new VggCifar(8, channels, classes),
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OnnxRuntimeReproducesTorchSharpsLogitsOnRawPixels(string architecture, int channels, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        const int classes = 5;
        using var model = Create(architecture, channels, size, classes);
        MoveBatchNormStatistics(model, channels, size);
        model.eval();
        var input = new OnnxInput(channels, size, size, classes, [.. new[] { 0.49f, 0.48f, 0.45f }.Take(channels)], [.. new[] { 0.25f, 0.24f, 0.26f }.Take(channels)]);

        var pixels = rand(7, channels, size, size);
        using var standardised = new Distill.Learning.Data.ChannelStatistics([.. input.Mean], [.. input.Std]).Standardise(pixels);
        float[] expected;
        using (no_grad()) expected = model.forward(standardised).data<float>().ToArray();

        var bytes = OnnxModel.Build(model, input, new Dictionary<string, string> { ["classes"] = "[]" }).ToByteArray();
        using var session = new InferenceSession(bytes);
        var inputTensor = new DenseTensor<float>(pixels.data<float>().ToArray(), [7, channels, size, size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModel.InputName, inputTensor)]);
        var logits = results.Single(r => r.Name == OnnxModel.OutputName).AsTensor<float>();

        Assert.Equal([7, classes], logits.Dimensions.ToArray());
        var difference = expected.Zip(logits.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        _output.WriteLine($"{architecture} {channels}x{size}x{size}: max |logit| {expected.Max(Math.Abs):F3}, max difference {difference:E2}");
        Assert.True(difference <= Tolerance, $"{architecture}: ONNX Runtime's logits differ from TorchSharp's by {difference:E2}");
        Assert.True(expected.Max(Math.Abs) > 0.01f, "the logits are not trivially zero");
    }

    [Fact]
    public void EqualWeightsGiveEqualBytesAndTheGraphNamesItsWeightsAsTheStateDictDoes()
    {
        manual_seed(3);
        using var model = new CifarResNet(8, 1, 10, width: 4);
        var input = new OnnxInput(1, 28, 28, 10, [0.29f], [0.35f]);
        var first = OnnxModel.Build(model, input, new Dictionary<string, string>());
        var second = OnnxModel.Build(model, input, new Dictionary<string, string>());

        Assert.Equal(first.ToByteArray(), second.ToByteArray());
        var stateDict = model.state_dict().Keys.Where(k => !k.EndsWith("num_batches_tracked")).ToHashSet();
        var initializers = first.Graph.Initializer.Select(i => i.Name).ToHashSet();
        Assert.Subset(initializers, stateDict);
        Assert.Equal(OnnxGraphBuilder.Opset, first.OpsetImport.Single().Version);
    }

    [Fact]
    public void ALayerWithoutTranslationIsAnErrorNamingIt()
    {
        var graph = new OnnxGraphBuilder();
        using var dropout = nn.Dropout(0.5);
        var error = Assert.Throws<NotSupportedException>(() => graph.Apply(dropout, "x", "head.dropout"));
        Assert.Contains("head.dropout", error.Message);
        Assert.Contains("Dropout", error.Message);
    }

    /// <summary>Running statistics away from their initial 0 and 1, so the test sees whether the graph uses them.</summary>
    private static void MoveBatchNormStatistics(ClassifierNet model, int channels, int size)
    {
        model.train();
        using var _ = no_grad();
        for (int i = 0; i < 3; i++)
        {
            using var batch = randn(16, channels, size, size) * 2 + 0.5;
            using var output = model.forward(batch);
        }
    }
}
