using Distill.Learning.Models;
using Distill.Pipelines.Catalogue;

namespace Distill.Cli.Commands;

/// <summary>Parses short model names: resnet20, resnet56, resnet110 (the catalogue's default width), alexnet.</summary>
internal static class ModelName
{
    public static ModelSpec Parse(string name)
    {
        int width = Architectures.DefaultInt(Architectures.ResNet, "width");
        if (name == Architectures.AlexNet) return new ModelSpec(Architectures.AlexNet, Depth: 0, Width: 0); // AlexNet has neither
        if (name.StartsWith(Architectures.ResNet, StringComparison.Ordinal) && int.TryParse(name.AsSpan(Architectures.ResNet.Length), out var depth))
            return new ModelSpec(Architectures.ResNet, depth, width);
        throw new ArgumentException($"unknown model '{name}' (expected resnetN with N = 6n+2, e.g. resnet20, or alexnet)");
    }
}
