namespace Distill.Learning.Models;

/// <summary>Which network to build: "resnet" (with depth and width) or "alexnet".</summary>
public sealed record ModelSpec(string Architecture, int Depth = 20, int Width = 16)
{
    public ClassifierNet Create(int inputChannels, int height, int width, int classes) => Architecture switch
    {
        "resnet" => new CifarResNet(Depth, inputChannels, classes, Width),
        "alexnet" => new AlexNetCifar(inputChannels, height, width, classes),
        _ => throw new ArgumentException($"unknown architecture '{Architecture}' (expected resnet or alexnet)"),
    };
}
