using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A square 2-D convolution with the parameters, names and initialisation of TorchSharp's Conv2d,
/// whose CPU kernel is chosen by <see cref="ConvolutionRouting"/>, so channel counts that oneDNN
/// gets wrong still train on correct gradients. In <see cref="Platform.Precision.Bf16"/> it multiplies in bfloat16
/// on its float32 weights (see <see cref="RoutedConvolution.Apply(Tensor, Tensor, Tensor?, ConvolutionConfig, ConvolutionKernel)"/>).
/// </summary>
public sealed class RoutedConv2d : nn.Module<Tensor, Tensor>, IPrecisionLayer, IOnnxExportable
{
    // Field names are the state_dict keys, the same as Conv2d's.
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long _stride;
    private readonly long _padding;

    public RoutedConv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(RoutedConv2d))
    {
        // LibTorch's own initialisation, drawn from the same generator in the same order as Conv2d.
        using var template = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: bias);
        weight = new Parameter(template.weight!.detach().clone());
        this.bias = bias ? new Parameter(template.bias!.detach().clone()) : null;
        _stride = stride;
        _padding = padding;
        RegisterComponents();
    }

    /// <summary>The precision of the next forward passes (float32 by default); set through <see cref="ClassifierNet.Precision"/>.</summary>
    public Precision Precision { get; set; }

    public override Tensor forward(Tensor input) => RoutedConvolution.Apply(input, weight, bias, _stride, _padding, Precision);

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string path) => graph.Conv(input, weight, bias, _stride, _padding, path);
}
