using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>What the fused batch norm tests of both precisions run: a layer, one training step of it, a ResNet step.</summary>
internal static class BatchNormReluHarness
{
    /// <summary>A batch norm with weights and biases spread over [0.5, 1.5] and [-0.3, 0.3].</summary>
    public static BatchNorm2d Layer(long channels, ScalarType type = ScalarType.Float32)
    {
        // Without a type, the counter of batches stays an integer (a type given turns every buffer to it).
        var layer = type == ScalarType.Float32 ? nn.BatchNorm2d(channels) : nn.BatchNorm2d(channels, dtype: type);
        using (no_grad())
        {
            layer.weight.copy_(linspace(0.5, 1.5, channels));
            layer.bias!.copy_(linspace(-0.3, 0.3, channels));
        }
        return layer;
    }

    /// <summary>One training forward and backward: output, running statistics, and the gradients of input, weight, bias and residual.</summary>
    public static List<(string Name, Tensor Value)> Step(BatchNorm2d layer, Tensor input, Tensor? residual, Tensor gradient, bool fusedKernels)
    {
        layer.train();
        var x = input.detach().requires_grad_();
        var r = residual?.detach().requires_grad_();
        // The kernels themselves, whatever the self-check found; LibTorch's add runs in place on the batch-norm output, as the models ran it.
        var y = fusedKernels ? BatchNormRelu.Fused(layer, x, r) : BatchNormRelu.Unfused(layer, x, r);
        y.backward([gradient]);
        var results = new List<(string, Tensor)>
        {
            ("output", y.detach()), ("input gradient", x.grad!), ("weight gradient", layer.weight.grad!), ("bias gradient", layer.bias!.grad!),
            ("running mean", layer.running_mean!.clone()), ("running variance", layer.running_var!.clone()),
        };
        if (r is not null) results.Add(("residual gradient", r.grad!));
        return results;
    }

    /// <summary>The parameter gradients of one ResNet-8 step (seed 11) with the fused kernels on or off.</summary>
    public static Dictionary<string, Tensor> ResNetGradients(Tensor images, bool fused, Precision precision = Precision.Fp32)
    {
        manual_seed(11);
        using var model = new CifarResNet(8, 3, 10);
        model.Precision = precision;
        model.train();
        BatchNormRelu.Enabled = fused;
        try
        {
            model.forward(images).square().sum().backward();
        }
        finally
        {
            BatchNormRelu.Enabled = true;
        }
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone());
    }

    /// <summary>Asserts that a fused step gives the same bits on one thread and on two.</summary>
    public static void AssertSameOnOneAndTwoThreads(long channels, Tensor input, Tensor residual, Tensor gradient)
    {
        int threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = Step(Layer(channels), input, residual, gradient, fusedKernels: true);
            set_num_threads(2);
            var two = Step(Layer(channels), input, residual, gradient, fusedKernels: true);
            foreach (var (name, x, y) in one.Zip(two, (p, q) => (p.Name, p.Value, q.Value)))
                Assert.True(TensorAssert.Identical(x, y), $"{name} differs between 1 and 2 threads");
        }
        finally
        {
            set_num_threads(threads);
        }
    }
}
