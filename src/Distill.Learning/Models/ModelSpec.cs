namespace Distill.Learning.Models;

/// <summary>
/// Which network to build: "resnet" (with depth and width) or "alexnet" (which ignores both). No defaults
/// here: the pipeline catalogue (Distill.Pipelines.Catalogue.Architectures) holds the only ones.
/// </summary>
public sealed record ModelSpec(string Architecture, int Depth, int Width)
{
    public ClassifierNet Create(int inputChannels, int height, int width, int classes) => Architecture switch
    {
        "resnet" => new CifarResNet(Depth, inputChannels, classes, Width),
        "alexnet" => new AlexNetCifar(inputChannels, height, width, classes),
        _ => throw new ArgumentException($"unknown architecture '{Architecture}' (expected resnet or alexnet)"),
    };
}
