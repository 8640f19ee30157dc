namespace Distill.Pipelines.Catalogue;

/// <summary>The model architectures the format knows.</summary>
public static class Architectures
{
    public const string ResNet = "resnet";
    public const string AlexNet = "alexnet";

    public static readonly ParameterSpec ArchitectureKey =
        P.Enum("architecture", null, "Network family.", ResNet, AlexNet) with { Required = true };

    public static readonly IReadOnlyList<ArchitectureSpec> All =
    [
        new(ResNet, "CIFAR-style ResNet (He et al.): 3x3 stem, three stages of basic blocks, global pooling, linear classifier.",
        [
            ArchitectureKey,
            P.Int("depth", 56, "Layers: 6n+2 (20, 32, 44, 56, 110), n basic blocks per stage.", min: 8) with
            {
                Rule = v => ((int)v - 2) % 6 == 0 ? null : "must be 6n+2 (20, 32, 44, 56, 110 ...)",
                RuleText = "6n+2",
            },
            P.Int("width", 16, "Channels of the first stage (doubled at each later stage).", min: 1),
        ]),
        new(AlexNet, "The small CIFAR \"AlexNet\" of the TensorFlow tutorial (conv-pool-LRN x2, fc 384, fc 192, linear).",
            [ArchitectureKey]),
    ];

    public static ArchitectureSpec? Find(string? name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>The catalogue's default of an integer key of an architecture (e.g. ResNet's depth, 56).</summary>
    public static int DefaultInt(string architecture, string key) =>
        Find(architecture)?.Parameters.FirstOrDefault(p => p.Name == key)?.Default is { } value
            ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentException($"architecture '{architecture}' has no default for '{key}'");

    public static IReadOnlySet<string> AllKeys { get; } = All.SelectMany(k => k.Parameters).Select(p => p.Name).ToHashSet();
}
