using Distill.Learning.Models;

namespace Distill.Stages.Models;

/// <summary>
/// `torchscript`: any PyTorch network, saved with torch.jit.save and imported by a train stage's
/// `weights: { format: torchscript, path: ... }` (<see cref="TorchScriptNet"/>). No keys: the file is the network.
/// </summary>
public sealed class TorchScriptArchitecture() : Architecture<TorchScriptParameters>(Name, revision: 1,
    "Any PyTorch network saved as TorchScript (torch.jit.save of a traced or scripted module), imported by a train stage's `weights: { format: torchscript, path: ... }`: forward takes standardised images and returns the logits, or a tuple (logits, embedding). A teacher for caches and logit methods; never trained here.")
{
    public const string Name = "torchscript";

    protected override ClassifierNet Create(TorchScriptParameters p, int inputChannels, int height, int width, int classes) => new TorchScriptNet();

    // The file decides the network, and its cost is not known from the pipeline.
    protected override double ForwardMacs(TorchScriptParameters p, int inputChannels, int height, int width) => double.NaN;
}

/// <summary>A `torchscript` model has no keys: its network is the imported file.</summary>
public sealed record TorchScriptParameters;
