using Distill.Learning.Export;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A layer that LibTorch cannot run on bfloat16 (local response norm, which pools in 3-D), run in float32 whatever
/// its input: in <see cref="Platform.Precision.Bf16"/> activations arrive in bfloat16 (see <see cref="RoutedConv2d"/>).
/// It has no parameters of its own, so the wrapped layer's names and the ONNX graph are unchanged.
/// </summary>
public sealed class Float32Layer : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly nn.Module<Tensor, Tensor> layer;

    public Float32Layer(nn.Module<Tensor, Tensor> layer) : base(nameof(Float32Layer))
    {
        this.layer = layer;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (input.dtype == ScalarType.Float32) return layer.call(input);
        using var wide = input.to(ScalarType.Float32);
        return layer.call(wide);
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string path) => graph.Apply(layer, input, path);
}
