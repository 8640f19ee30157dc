using Distill.Learning.Models;

namespace Distill.Stages.Models;

/// <summary>`alexnet`: the small CIFAR AlexNet (<see cref="AlexNetCifar"/>; twin: distill_models.AlexNetCifar); no keys.</summary>
public sealed class AlexNetArchitecture() : Architecture<AlexNetParameters>(Name, revision: 1,
    "The small CIFAR \"AlexNet\" of the TensorFlow tutorial (conv-pool-LRN x2, fc 384, fc 192, linear).")
{
    public const string Name = "alexnet";

    protected override ClassifierNet Create(AlexNetParameters p, int inputChannels, int height, int width, int classes) =>
        new AlexNetCifar(inputChannels, height, width, classes);

    // conv 5x5 to 64 at full area, conv 5x5 64 to 64 at a quarter, fc from 64 maps at a sixteenth to 384, fc 384 to 192.
    protected override double ForwardMacs(AlexNetParameters p, int inputChannels, int height, int width)
    {
        double area = (double)height * width;
        return 25.0 * inputChannels * 64 * area + 25.0 * 64 * 64 * area / 4 + 64.0 * area / 16 * 384 + 384.0 * 192;
    }
}

/// <summary>An `alexnet` model has no keys: its shape follows the images.</summary>
public sealed record AlexNetParameters;
