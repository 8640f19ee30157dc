using Distill.Learning.Models;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models;

/// <summary>Every architecture names its feature points, and one forward pass returns them with the logits forward gives.</summary>
public sealed class FeaturePointTests
{
    internal static readonly string[] ArchitectureNames = ["resnet", "wrn", "alexnet", "resnet-x4", "vgg"];

    public static TheoryData<string> Architectures => new(ArchitectureNames);

    internal static ClassifierNet Create(string architecture)
    {
        manual_seed(4);
        return architecture switch
        {
            "resnet" => new CifarResNet(8, 3, 10, width: 4),
            "wrn" => new WideResNet(10, 1, 3, 10),
            "resnet-x4" => new CifarResNet(8, 3, 10, 8, stemWidth: 4, projection: true),
            "vgg" => new VggCifar(8, 3, 10),
            _ => new AlexNetCifar(3, 16, 16, 10),
        };
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Forward_returns_every_point_and_the_same_logits_and_embedding(string architecture)
    {
        using var model = Create(architecture);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, 16, 16, generator: new Generator(7));
        var points = PlainPoints(model);

        using var outputs = model.Forward(x, points);

        Assert.Equal(model.forward(x).data<float>().ToArray(), outputs.Logits.data<float>().ToArray());
        Assert.Equal(model.Features(x).data<float>().ToArray(), outputs[FeaturePoints.Embedding].data<float>().ToArray());
        Assert.Equal(points.Count - 1, outputs.Features.Count);
        Assert.Equal([FeaturePoints.Embedding, FeaturePoints.Logits], model.FeaturePointNames.TakeLast(2));
    }

    // Points are aliases of a layer's output (in fp32), and the networks apply ReLU and residual adds in place:
    // a later in-place layer that wrote into a point would hand losses a value no layer produced. Autograd's
    // version check catches that only for tensors it saved, in training; a teacher's no-grad pass has no check.
    [Theory]
    [MemberData(nameof(Architectures))]
    // With batch norm and ReLU fused no module of the pair runs, so no hook sees the pair's output: the hooked pass
    // runs LibTorch's kernels, and the fused pass must then give every point the same values, to float32 rounding.
    public void Each_point_keeps_the_value_its_layer_produced_for_the_rest_of_the_pass(string architecture)
    {
        using var model = Create(architecture);
        foreach (bool training in new[] { false, true })
        {
            using var scope = NewDisposeScope();
            var unfused = new Dictionary<string, Tensor>();
            var produced = new List<Tensor>();
            var hooks = model.modules().OfType<nn.Module<Tensor, Tensor>>()
                // Out of every scope: blocks dispose what their forward made when it returns.
                .Select(m => m.register_forward_hook((_, _, output) => { produced.Add(output.detach().clone().DetachFromDisposeScope()); return output; }))
                .ToList();
            BatchNormRelu.Enabled = false;
            try
            {
                foreach (var (point, value) in PointsAfterThePass(model, training))
                {
                    Assert.True(produced.Any(p => p.shape.SequenceEqual(value.shape) && p.eq(value).all().item<bool>()),
                        $"{architecture} (training: {training}): point '{point}' no longer holds any layer's output");
                    unfused[point] = value;
                }
            }
            finally
            {
                BatchNormRelu.Enabled = true;
                foreach (var hook in hooks) hook.remove();
                foreach (var copy in produced) copy.Dispose();
            }
            foreach (var (point, value) in PointsAfterThePass(model, training))
                Assert.True(value.sub(unfused[point]).abs().max().item<float>() <= 1e-4 * unfused[point].abs().max().item<float>() + 1e-6,
                    $"{architecture} (training: {training}, fused batch norm): point '{point}' no longer holds its layer's output");
        }
    }

    /// <summary>Every point's value once the whole pass (and in training its backward pass) has run; the model's batch-norm statistics are restored.</summary>
    private static Dictionary<string, Tensor> PointsAfterThePass(ClassifierNet model, bool training)
    {
        var statistics = model.buffers().Select(b => b.clone()).ToList();
        model.train(training);
        using var grad = set_grad_enabled(training);
        using var outputs = model.Forward(randn(2, 3, 16, 16, generator: new Generator(7)), PlainPoints(model));
        if (training) outputs.Logits.square().sum().backward();
        var points = outputs.Features.ToDictionary(f => f.Key, f => f.Value.detach().clone());
        using (no_grad())
            foreach (var (buffer, saved) in model.buffers().Zip(statistics)) buffer.copy_(saved);
        return points;
    }

    /// <summary>The points that are some layer's output (a residual block's pre-activation sum is no module's).</summary>
    private static List<string> PlainPoints(ClassifierNet model) =>
        [.. model.FeaturePointNames.Where(p => !p.EndsWith(PreActivation.Suffix, StringComparison.Ordinal))];

    /// <summary>
    /// mdistiller's preact_feats: a stage's pre-activation point is the value its last ReLU reads (a residual block's sum,
    /// or a batch norm's output), negative entries and all, in training with gradients through it; the pass that keeps
    /// it runs LibTorch's batch norm, so its logits agree with the fused pass to float32 rounding.
    /// </summary>
    [Theory]
    [InlineData("resnet")]
    [InlineData("resnet-x4")]
    [InlineData("vgg")]
    public void A_pre_activation_point_is_what_its_stages_last_relu_reads(string architecture)
    {
        using var model = Create(architecture);
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 16, 16, generator: new Generator(7));
        var statistics = model.buffers().Select(b => b.clone()).ToList();
        var fused = model.forward(x).detach();
        using (no_grad())
            foreach (var (buffer, saved) in model.buffers().Zip(statistics)) buffer.copy_(saved);

        using var outputs = model.Forward(x, model.FeaturePointNames);
        var preActivations = model.FeaturePointNames.Where(p => p.EndsWith(PreActivation.Suffix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(preActivations);
        foreach (var point in preActivations)
        {
            var pre = outputs[point];
            var stage = point[..^PreActivation.Suffix.Length];
            Assert.True(pre.min().item<float>() < 0, $"{architecture}: '{point}' has no negative entry, so it is not before a ReLU");
            Assert.Equal(outputs[stage].data<float>().ToArray(), nn.functional.relu(pre).data<float>().ToArray());
        }
        Assert.True(outputs.Logits.sub(fused).abs().max().item<float>() <= 1e-4 * fused.abs().max().item<float>(), "the logits differ from the fused pass");

        outputs[preActivations[^1]].square().sum().backward();
        Assert.Contains(model.parameters(), p => p.grad is { } g && g.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData("wrn")]
    [InlineData("alexnet")]
    public void Architectures_whose_points_do_not_end_in_a_relu_offer_no_pre_activation_point(string architecture)
    {
        using var model = Create(architecture);
        Assert.DoesNotContain(model.FeaturePointNames, p => p.EndsWith(PreActivation.Suffix, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Architectures))]
    public void In_bf16_activations_stay_bfloat16_but_logits_points_and_gradients_are_float32(string architecture)
    {
        Skip.If(PrecisionSupport.Unavailable(Precision.Bf16) is not null, PrecisionSupport.Unavailable(Precision.Bf16));
        using var reference = Create(architecture);
        using var model = Create(architecture);
        model.Precision = Precision.Bf16;
        using var scope = NewDisposeScope();
        var x = randn(4, 3, 16, 16, generator: new Generator(7));

        Assert.Equal(ScalarType.BFloat16, model.Features(x).dtype); // no layer widened its output back
        using var outputs = model.Forward(x, model.FeaturePointNames);
        Assert.All(model.FeaturePointNames, p => Assert.Equal(ScalarType.Float32, outputs[p].dtype));
        // The same network to bfloat16's accuracy (8 significant bits, rounded again at every layer).
        var expected = reference.forward(x);
        double error = outputs.Logits.sub(expected).abs().max().item<float>() / expected.abs().max().item<float>();
        Assert.True(error < 0.1, $"bf16 logits differ from fp32 by {error:P1} of their largest");

        outputs.Logits.square().sum().backward();
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
        Assert.All(model.parameters(), p => Assert.True(p.grad!.isfinite().all().item<bool>()));
        // Batch norm took bfloat16 input but keeps its statistics in float32 (num_batches_tracked is an integer).
        Assert.All(model.buffers(), b => Assert.NotEqual(ScalarType.BFloat16, b.dtype));
    }

    // Issue 37: on an AMD EPYC, resnet-x4's projection shortcut (a strided 1x1 convolution of 4 and 8 channels) made
    // oneDNN write past its scratchpad in every training step; glibc aborted the test host at a later free, usually in the
    // first round. Every case of this class, repeated in one process, must run and give the same bits every round.
    [Fact]
    public void Every_architecture_and_precision_runs_many_times_in_one_process_with_the_same_bits()
    {
        const int Rounds = 12;
        bool bf16 = PrecisionSupport.Unavailable(Precision.Bf16) is null;
        var first = new Dictionary<string, float[]>();
        for (int round = 0; round < Rounds; round++)
            foreach (string architecture in ArchitectureNames)
                foreach (var precision in bf16 ? [Precision.Fp32, Precision.Bf16] : new[] { Precision.Fp32 })
                    foreach (bool training in new[] { false, true })
                    {
                        string label = $"{architecture} {precision.Name()} training: {training}";
                        var bits = RunOnce(architecture, precision, training);
                        Assert.All(bits, v => Assert.True(float.IsFinite(v), $"{label}: a non-finite logit or gradient in round {round}"));
                        if (!first.TryAdd(label, bits))
                            Assert.True(first[label].SequenceEqual(bits), $"{label}: round {round} differs from round 0");
                    }
        Assert.Equal(ArchitectureNames.Length * (bf16 ? 4 : 2), first.Count);
    }

    /// <summary>The logits of one pass over every feature point, then (training) every parameter's gradient.</summary>
    private static float[] RunOnce(string architecture, Precision precision, bool training)
    {
        using var model = Create(architecture);
        model.Precision = precision;
        model.train(training);
        using var scope = NewDisposeScope();
        using var grad = set_grad_enabled(training);
        using var outputs = model.Forward(randn(2, 3, 16, 16, generator: new Generator(7)), model.FeaturePointNames);
        var values = outputs.Logits.detach().data<float>().ToList();
        if (!training) return [.. values];
        outputs.Logits.square().sum().backward();
        foreach (var p in model.parameters()) values.AddRange(p.grad!.data<float>());
        return [.. values];
    }

    [Fact]
    public void The_points_of_a_resnet_are_its_stem_and_stages_with_their_shapes()
    {
        using var model = Create("resnet");
        var shapes = model.FeatureShapes(3, 16, 16);

        Assert.Equal(["stem", "stem-preact", "stage1", "stage1-preact", "stage2", "stage2-preact", "stage3", "stage3-preact", "embedding", "logits"], model.FeaturePointNames);
        Assert.Equal([4L, 16, 16], shapes["stem"]);
        Assert.Equal([16L, 4, 4], shapes["stage3-preact"]);
        Assert.Equal([4L, 16, 16], shapes["stage1"]);
        Assert.Equal([8L, 8, 8], shapes["stage2"]);
        Assert.Equal([16L, 4, 4], shapes["stage3"]);
        Assert.Equal([16L], shapes["embedding"]);
        Assert.Equal([10L], shapes["logits"]);
        Assert.True(model.training); // the dry run restored the mode
    }

    [Fact]
    public void The_points_of_alexnet_are_its_convolutions_and_first_dense_layer()
    {
        using var model = Create("alexnet");
        var shapes = model.FeatureShapes(3, 16, 16);

        Assert.Equal(["conv1", "conv2", "fc1", "embedding", "logits"], model.FeaturePointNames);
        Assert.Equal([64L, 8, 8], shapes["conv1"]);
        Assert.Equal([64L, 4, 4], shapes["conv2"]);
        Assert.Equal([384L], shapes["fc1"]);
        Assert.Equal([(long)AlexNetCifar.PenultimateWidth], shapes["embedding"]);
    }

    [Fact]
    public void The_points_of_a_vgg_are_its_five_stages_before_their_pooling()
    {
        using var model = Create("vgg");
        var shapes = model.FeatureShapes(3, 32, 32);

        Assert.Equal(["stage1", "stage1-preact", "stage2", "stage2-preact", "stage3", "stage3-preact", "stage4", "stage4-preact", "stage5", "stage5-preact", "embedding", "logits"], model.FeaturePointNames);
        Assert.Equal([64L, 32, 32], shapes["stage1"]);
        Assert.Equal([128L, 16, 16], shapes["stage2"]);
        Assert.Equal([256L, 8, 8], shapes["stage3"]);
        Assert.Equal([512L, 4, 4], shapes["stage4"]);
        Assert.Equal([512L, 4, 4], shapes["stage5"]);
        Assert.Equal([512L], shapes["embedding"]);
    }

    [Fact]
    public void An_unknown_point_is_named_with_those_that_exist()
    {
        using var model = Create("wrn");
        using var scope = NewDisposeScope();

        var error = Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 3, 16, 16), ["stage4"]));

        Assert.Contains("no feature point 'stage4'", error.Message);
        Assert.Contains("stem, stage1, stage2, stage3, embedding, logits", error.Message);
    }
}
