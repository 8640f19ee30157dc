using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A local response norm layer on Distill's fused kernels where they take it (<see cref="FusedLocalResponseNorm"/>:
/// channels-last float32 CPU tensors, beta 3/4), else on LibTorch's operations. It runs in float32 whatever its input:
/// LibTorch cannot run it on bfloat16 (it pools in 3-D), and in <see cref="Platform.Precision.Bf16"/> activations
/// arrive in bfloat16 (see <see cref="RoutedConv2d"/>). It has no parameters, and the wrapped module keeps the layer's
/// names and its ONNX graph.
/// </summary>
public sealed class RoutedLocalResponseNorm : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly LocalResponseNorm layer;

    public RoutedLocalResponseNorm(long size, double alpha, double beta, double k) : base(nameof(RoutedLocalResponseNorm))
    {
        layer = nn.LocalResponseNorm(size, alpha, beta, k);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (input.dtype == ScalarType.Float32) return FusedLocalResponseNorm.Apply(layer, input);
        using var wide = input.to(ScalarType.Float32);
        return FusedLocalResponseNorm.Apply(layer, wide);
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string path) => graph.Apply(layer, input, path);
}
