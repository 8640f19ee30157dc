using Distill.Learning.Models;

namespace Distill.Stages.Models;

/// <summary>`alexnet`: the small CIFAR AlexNet (<see cref="AlexNetCifar"/>; twin: distill_models.AlexNetCifar); no keys.</summary>
public sealed class AlexNetArchitecture() : Architecture<AlexNetParameters>(Name,
    "The small CIFAR \"AlexNet\" of the TensorFlow tutorial (conv-pool-LRN x2, fc 384, fc 192, linear).")
{
    public const string Name = "alexnet";

    protected override ClassifierNet Create(AlexNetParameters p, int inputChannels, int height, int width, int classes) =>
        new AlexNetCifar(inputChannels, height, width, classes);
}

/// <summary>An `alexnet` model has no keys: its shape follows the images.</summary>
public sealed record AlexNetParameters;
