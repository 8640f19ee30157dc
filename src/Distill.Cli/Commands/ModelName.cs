using Distill.Learning.Models;

namespace Distill.Cli.Commands;

/// <summary>Parses short model names: resnet20, resnet56, resnet110, alexnet.</summary>
internal static class ModelName
{
    public static ModelSpec Parse(string name)
    {
        if (name == "alexnet") return new ModelSpec("alexnet");
        if (name.StartsWith("resnet", StringComparison.Ordinal) && int.TryParse(name.AsSpan(6), out var depth))
            return new ModelSpec("resnet", depth);
        throw new ArgumentException($"unknown model '{name}' (expected resnetN with N = 6n+2, e.g. resnet20, or alexnet)");
    }
}
