using Distill.Learning.Models;
using Distill.Learning.Platform;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Models;

/// <summary>AlexNet's hidden layers became RoutedLinear: in float32 exactly TorchSharp's Linear, in bf16 rounded.</summary>
public sealed class RoutedLinearTests
{
    [Fact]
    public void In_fp32_it_draws_the_same_weights_and_computes_the_same_bits_as_Linear()
    {
        manual_seed(11);
        using var routed = new RoutedLinear(300, 70);
        manual_seed(11);
        using var linear = nn.Linear(300, 70);
        using var x = randn(33, 300);

        var names = routed.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(linear.named_parameters().Select(p => p.name).ToArray(), names);
        Assert.True(TensorAssert.Identical(linear.weight!, routed.get_parameter("weight")!));
        Assert.True(TensorAssert.Identical(linear.bias!, routed.get_parameter("bias")!));
        using var a = routed.forward(x);
        using var b = linear.forward(x);
        Assert.True(TensorAssert.Identical(a, b));
    }

    [SkippableFact]
    public void In_bf16_it_returns_bfloat16_within_its_rounding_and_float32_weight_gradients()
    {
        Skip.If(PrecisionSupport.Unavailable(Precision.Bf16) is not null, PrecisionSupport.Unavailable(Precision.Bf16));
        manual_seed(12);
        using var layer = new RoutedLinear(256, 64) { Precision = Precision.Bf16 };
        using var x = randn(32, 256);
        using var reference = nn.functional.linear(x.to(ScalarType.Float64), layer.get_parameter("weight")!.to(ScalarType.Float64),
            layer.get_parameter("bias")!.to(ScalarType.Float64));

        using var y = layer.forward(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype); // for the next layer, as convolutions do
        double error = y.to(ScalarType.Float64).sub(reference).abs().max().item<double>() / reference.abs().max().item<double>();
        Assert.InRange(error, 1e-4, 1.0 / 64);

        y.sum().backward();
        Assert.Equal(ScalarType.Float32, layer.get_parameter("weight")!.grad!.dtype);
    }

    [Fact]
    public void AlexNet_keeps_its_parameter_names()
    {
        using var model = new AlexNetCifar(3, 32, 32, 10);
        Assert.Equal(
            ["_convolutions.conv1.weight", "_convolutions.conv1.bias", "_convolutions.conv2.weight", "_convolutions.conv2.bias",
             "_fullyConnected.fc1.weight", "_fullyConnected.fc1.bias", "_fullyConnected.fc2.weight", "_fullyConnected.fc2.bias",
             "_classifier.weight", "_classifier.bias"],
            model.named_parameters().Select(p => p.name).ToArray());
    }
}
