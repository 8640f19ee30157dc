using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>A layer whose products can run in another precision than its float32 weights.</summary>
public interface IPrecisionLayer
{
    Precision Precision { get; set; }
}

/// <summary>
/// A fully connected layer with the parameters, names and initialisation of TorchSharp's Linear (which is sealed),
/// that multiplies in bfloat16 in <see cref="Platform.Precision.Bf16"/>: input, weight and bias rounded to bfloat16,
/// oneDNN's bfloat16 matrix product (float32 sums), the result left in bfloat16 for the next layer (see
/// <see cref="RoutedConvolution"/>). In float32 it is exactly Linear.
/// </summary>
public sealed class RoutedLinear : nn.Module<Tensor, Tensor>, IPrecisionLayer, IOnnxExportable
{
    // Field names are the state_dict keys, the same as Linear's.
    private readonly Parameter weight;
    private readonly Parameter? bias;

    public RoutedLinear(long inFeatures, long outFeatures, bool bias = true) : base(nameof(RoutedLinear))
    {
        // LibTorch's own initialisation, drawn from the same generator in the same order as Linear.
        using var template = nn.Linear(inFeatures, outFeatures, hasBias: bias);
        weight = new Parameter(template.weight!.detach().clone());
        this.bias = bias ? new Parameter(template.bias!.detach().clone()) : null;
        RegisterComponents();
    }

    /// <summary>The precision of the next forward passes (float32 by default); set through <see cref="ClassifierNet.Precision"/>.</summary>
    public Precision Precision { get; set; }

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string path) => graph.Gemm(input, weight, bias, path);

    public override Tensor forward(Tensor input)
    {
        if (Precision == Precision.Fp32 || input.device_type != DeviceType.CPU)
            return nn.functional.linear(input, weight, bias);
        using var input16 = input.to(ScalarType.BFloat16);
        using var weight16 = weight.to(ScalarType.BFloat16);
        using var bias16 = bias?.to(ScalarType.BFloat16);
        return nn.functional.linear(input16, weight16, bias16);
    }
}
