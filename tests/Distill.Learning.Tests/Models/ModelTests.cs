using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models;

public class ModelTests
{
    // He et al. 2016, Table 6: ResNet-20 0.27 M, 32: 0.46 M, 44: 0.66 M, 56: 0.85 M, 110: 1.7 M parameters.
    [Theory]
    [InlineData(20, 0.27)]
    [InlineData(32, 0.46)]
    [InlineData(44, 0.66)]
    [InlineData(56, 0.85)]
    [InlineData(110, 1.7)]
    public void ResNetMatchesPublishedParameterCounts(int depth, double millions)
    {
        using var model = new CifarResNet(depth, 3, 10);
        // The paper rounds to two significant digits (ResNet-110 has 1.73 M).
        Assert.InRange(model.ParameterCount() / 1e6, millions * 0.975, millions * 1.025);
    }

    [Theory]
    [InlineData(3, 32)]
    [InlineData(1, 28)]
    public void ResNetShapes(int channels, int size)
    {
        using var model = new CifarResNet(20, channels, 10);
        model.eval();
        using var x = randn(2, channels, size, size);
        using var features = model.Features(x);
        using var logits = model.forward(x);
        Assert.Equal(new long[] { 2, 64 }, features.shape);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.Equal(new long[] { 10, 64 }, model.Classifier.weight!.shape);
    }

    [Fact]
    public void ResNetRejectsDepthsNotOfTheForm6nPlus2()
    {
        var error = Assert.Throws<ArgumentException>(() => new CifarResNet(21, 3, 10));
        Assert.Contains("6n+2", error.Message);
    }

    // Zagoruyko and Komodakis' WRN on CIFAR-100 as the distillation benchmarks count it (RepDistiller: wrn_16_2 0.70 M,
    // wrn_40_2 2.26 M); exact counts from the PyTorch twin (tools/pytorch-reference/distill_models.WideResNet).
    [Theory]
    [InlineData(16, 2, 703_284)]
    [InlineData(40, 2, 2_255_156)]
    public void WideResNetMatchesItsTwinsParameterCount(int depth, int widen, long parameters)
    {
        using var model = new WideResNet(depth, widen, 3, 100);
        Assert.Equal(parameters, model.ParameterCount());
    }

    [Fact]
    public void WideResNetNamesItsParametersAsItsTwinDoes()
    {
        using var model = new WideResNet(10, 1, 1, 10);
        var names = model.state_dict().Keys.ToHashSet();
        using var x = randn(2, 1, 28, 28);
        using var logits = model.forward(x);

        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.Contains("_body.stage1_block1.bn1.running_mean", names);
        Assert.Contains("_body.stage2_block1.shortcut.weight", names);
        Assert.DoesNotContain("_body.stage1_block1.shortcut.weight", names); // same shape in and out: identity shortcut
        Assert.Contains("_body.bn.weight", names);
        Assert.Equal(64, model.Classifier.weight!.shape[1]);
        Assert.Throws<ArgumentException>(() => new WideResNet(12, 1, 3, 10));
    }

    // The rest of the distillation benchmarks' zoo, CIFAR-100 counts as the CRD paper gives them (resnet8x4 1.23 M,
    // resnet32x4 7.43 M, vgg8 3.96 M, vgg13 9.46 M); exact counts from the PyTorch twins (distill_models.py).
    [Theory]
    [InlineData("resnet-x4", 8, 1_233_540)]
    [InlineData("resnet-x4", 32, 7_433_860)]
    [InlineData("vgg", 8, 3_965_028)]
    [InlineData("vgg", 11, 9_277_284)]
    [InlineData("vgg", 13, 9_462_180)]
    public void BenchmarkModelsMatchTheirTwinsParameterCounts(string architecture, int depth, long parameters)
    {
        using ClassifierNet model = architecture == "vgg" ? new VggCifar(depth, 3, 100) : new CifarResNet(depth, 3, 100, 64, stemWidth: 32, projection: true);
        Assert.Equal(parameters, model.ParameterCount());
    }

    // Their channel counts (32-channel stem into 64, 1x1 projections, VGG's 3x3 convolutions with bias up to 512) go
    // through the convolution self-check like every other model's, on whatever CPU runs the tests (rerun with
    // ONEDNN_MAX_CPU_ISA=AVX2 for the smaller machines).
    [Theory]
    [InlineData("resnet-x4")]
    [InlineData("vgg")]
    public void BenchmarkModelsConvolutionsPassTheSelfCheck(string architecture)
    {
        manual_seed(5);
        using ClassifierNet model = architecture == "vgg" ? new VggCifar(8, 1, 10) : new CifarResNet(8, 1, 10, 64, stemWidth: 32, projection: true);

        var report = Distill.Learning.Platform.ConvolutionSelfCheck.VerifyModel(model, 1, 28, 28);

        Assert.True(report.Checks.Count >= (architecture == "vgg" ? 5 : 6), report.Summary);
        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Shape}: {c.Failure}"));
    }

    [Fact]
    public void ProjectionResNetAndVggNameTheirParametersAsTheirTwinsDo()
    {
        using var x4 = new CifarResNet(8, 1, 10, 64, stemWidth: 32, projection: true);
        using var vgg = new VggCifar(8, 1, 10);
        var x4Names = x4.state_dict().Keys.ToHashSet();
        var vggNames = vgg.state_dict().Keys.ToHashSet();
        using var x = randn(2, 1, 28, 28);
        using var x4Logits = x4.forward(x);
        using var vggLogits = vgg.forward(x);

        Assert.Equal(new long[] { 2, 10 }, x4Logits.shape);
        Assert.Equal(new long[] { 2, 10 }, vggLogits.shape);
        Assert.Equal(32, x4.state_dict()["_body.stem.weight"].shape[0]);
        // The stem's 32 channels become stage 1's 64 through a projection; every later stage's first block projects too.
        Assert.Contains("_body.stage1_block1.shortcut_bn.running_var", x4Names);
        Assert.Contains("_body.stage3_block1.shortcut.weight", x4Names);
        Assert.Contains("_body.stage5_conv1.bias", vggNames);
        Assert.Contains("_body.stage4_bn1.running_mean", vggNames);
        Assert.Equal(512, vgg.Classifier.weight!.shape[1]);
        Assert.Throws<ArgumentException>(() => new VggCifar(16, 3, 10));
    }

    [Theory]
    [InlineData(3, 32, 8)]
    [InlineData(1, 28, 7)]
    public void AlexNetShapesAndParameterCount(int channels, int size, int pooled)
    {
        using var model = new AlexNetCifar(channels, size, size, 10);
        using var x = randn(2, channels, size, size);
        using var features = model.Features(x);
        using var logits = model.forward(x);
        Assert.Equal(new long[] { 2, AlexNetCifar.PenultimateWidth }, features.shape);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        // conv1 + conv2 + fc 384 + fc 192 + linear 10, weights and biases.
        long expected = (5 * 5 * channels * 64 + 64) + (5 * 5 * 64 * 64 + 64)
                        + (64L * pooled * pooled * 384 + 384) + (384 * 192 + 192) + (192 * 10 + 10);
        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void SavedWeightsLoadToIdenticalOutputs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"distill-weights-{Guid.NewGuid():N}.bin");
        try
        {
            manual_seed(1);
            using var original = new CifarResNet(8, 1, 10);
            manual_seed(2);
            using var restored = new CifarResNet(8, 1, 10);
            original.eval();
            restored.eval();
            using var x = randn(4, 1, 12, 12);
            using var before = original.forward(x);
            using (var file = File.Create(path)) ModelWeights.Save(original, file);
            using var differs = restored.forward(x);
            Assert.False(TensorAssert.Identical(before, differs));
            ModelWeights.Load(restored, path);
            using var after = restored.forward(x);
            Assert.True(TensorAssert.Identical(before, after));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PyTorch_and_safetensors_exports_load_back_and_equal_weights_give_equal_bytes()
    {
        manual_seed(1);
        using var original = new CifarResNet(8, 1, 10, width: 8);
        original.eval();
        using var x = randn(2, 1, 12, 12);
        using var before = original.forward(x);
        foreach (var format in new[] { WeightsFormat.PyTorch, WeightsFormat.Safetensors })
        {
            var path = Path.Combine(Path.GetTempPath(), $"distill-weights-{Guid.NewGuid():N}");
            try
            {
                byte[] Write()
                {
                    using var stream = new MemoryStream();
                    if (format == WeightsFormat.PyTorch) ModelWeights.SavePyTorch(original, stream);
                    else ModelWeights.SaveSafetensors(original, stream);
                    return stream.ToArray();
                }
                var first = Write();
                Thread.Sleep(2100); // zip times have a 2-second resolution
                Assert.Equal(first, Write());
                File.WriteAllBytes(path, first);
                manual_seed(2);
                using var restored = new CifarResNet(8, 1, 10, width: 8);
                restored.eval();
                ModelWeights.LoadExternal(restored, path, format);
                using var after = restored.forward(x);
                Assert.True(TensorAssert.Identical(before, after), $"{format} did not restore the outputs");
            }
            finally { File.Delete(path); }
        }
    }
}
