using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A classifier split at its penultimate layer: Features(x) is the input of the final linear layer,
/// whose weight rows are the class templates the projection analysis uses.
/// </summary>
public abstract class ClassifierNet(string name) : nn.Module<Tensor, Tensor>(name), IOnnxExportable
{
    /// <summary>The penultimate activation, N x D.</summary>
    public abstract Tensor Features(Tensor x);

    /// <summary>The final linear layer (K x D weight: one template per class).</summary>
    public abstract Linear Classifier { get; }

    public override Tensor forward(Tensor x)
    {
        using var features = Features(x);
        return Classifier.call(features); // call, not forward: runs module hooks (NonFiniteLocator)
    }

    /// <summary>The forward pass as ONNX operators, in float32 whatever <see cref="Precision"/> says: input NCHW, output the logits.</summary>
    public abstract string ExportOnnx(OnnxGraphBuilder graph, string input, string path);

    public long ParameterCount() => parameters().Sum(p => p.numel());

    private Precision _precision;

    /// <summary>
    /// What the model's convolutions and hidden linear layers multiply in, from the next forward pass on (training,
    /// evaluation, logits alike); float32 by default. Weights, gradients and buffers stay float32 in every precision,
    /// and so do batch norm, the classifier layer (it feeds softmax and the loss, and costs nothing) and the loss.
    /// Setting <see cref="Precision.Bf16"/> throws <see cref="CpuFeatureMissingException"/> where the CPU lacks it.
    /// </summary>
    public Precision Precision
    {
        get => _precision;
        set
        {
            PrecisionSupport.EnsureSupported(value);
            foreach (var layer in modules().OfType<IPrecisionLayer>()) layer.Precision = value;
            _precision = value;
        }
    }
}
