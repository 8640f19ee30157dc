using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A classifier split at its penultimate layer: Features(x) is the input of the final linear layer,
/// whose weight rows are the class templates the projection analysis uses.
/// </summary>
public abstract class ClassifierNet(string name) : nn.Module<Tensor, Tensor>(name)
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

    public long ParameterCount() => parameters().Sum(p => p.numel());
}
