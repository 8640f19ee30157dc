using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>The names every classifier's feature points share (stage outputs have architecture-specific names).</summary>
public static class FeaturePoints
{
    /// <summary>The penultimate activation, N x D: the input of the final linear layer.</summary>
    public const string Embedding = "embedding";

    /// <summary>The model's outputs, N x K.</summary>
    public const string Logits = "logits";

    /// <summary>
    /// Every point some architecture offers: the values a loss's point keys accept (each model's own list,
    /// <see cref="ClassifierNet.FeaturePointNames"/>, is checked when a pipeline pairs two models).
    /// </summary>
    public static readonly IReadOnlyList<string> Known =
        ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "conv1", "conv2", "fc1", Embedding, Logits,
         .. new[] { "stem", "stage1", "stage2", "stage3", "stage4", "stage5" }.Select(PreActivation.Of)];
}

/// <summary>One forward pass: the logits and the feature points that were asked for, by name.</summary>
public sealed class ModelOutputs(Tensor logits, IReadOnlyDictionary<string, Tensor> features) : IDisposable
{
    public static readonly IReadOnlyCollection<string> LogitsOnly = [];

    public ModelOutputs(Tensor logits) : this(logits, new Dictionary<string, Tensor>()) { }

    public Tensor Logits { get; } = logits;

    public IReadOnlyDictionary<string, Tensor> Features { get; } = features;

    /// <summary>The feature point <paramref name="point"/>; asking for one the forward pass was not asked for is a programming error.</summary>
    public Tensor this[string point] => point == FeaturePoints.Logits ? Logits
        : Features.TryGetValue(point, out var value) ? value
        : throw new KeyNotFoundException($"feature point '{point}' was not computed (computed: {string.Join(", ", Features.Keys.Append(FeaturePoints.Logits))})");

    public void Dispose()
    {
        foreach (var tensor in Features.Values.Append(Logits).Distinct()) tensor.Dispose();
    }
}
