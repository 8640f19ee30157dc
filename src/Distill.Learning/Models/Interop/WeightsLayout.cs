using System.Text.RegularExpressions;

namespace Distill.Learning.Models.Interop;

/// <summary>Whose parameter names a weights file uses.</summary>
public enum WeightsLayout
{
    /// <summary>Whichever of the layouts below names every tensor the model needs.</summary>
    Auto,

    /// <summary>Distill's own (tools/pytorch-reference/distill_models.py).</summary>
    Distill,

    /// <summary>RepDistiller's and mdistiller's CIFAR models (resnet8x4..resnet110, wrn_*, vgg*_bn).</summary>
    RepDistiller,
}

/// <summary>
/// The names a layout gives a Distill model's tensors. RepDistiller's models (models/resnet.py, wrn.py, vgg.py; mdistiller
/// copies them) compute the same functions as Distill's <c>resnet</c> with <c>shortcut: projection</c>, <c>resnet-x4</c>,
/// <c>wrn</c> and <c>vgg</c>, under other names:
/// <list type="bullet">
/// <item>ResNet: conv1, bn1, layer{s}.{b}.conv1/bn1/conv2/bn2, layer{s}.{b}.downsample.0/1 (projection), fc.</item>
/// <item>WRN: conv1, block{s}.layer.{b}.bn1/conv1/bn2/conv2/convShortcut, bn1 (the last), fc.</item>
/// <item>VGG: block{s-1}.{3i} (convolution i) and .{3i+1} (its batch norm), classifier.</item>
/// </list>
/// </summary>
public static class WeightsLayouts
{
    private sealed record Rule(Regex Pattern, Func<Match, string> Rename);

    private static Rule R(string pattern, Func<Match, string> rename) => new(new Regex($"^{pattern}$", RegexOptions.CultureInvariant), rename);

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static readonly Rule[] ResNetRules =
    [
        R(@"_body\.stem\.(.+)", m => $"conv1.{m.Groups[1]}"),
        R(@"_body\.stem_bn\.(.+)", m => $"bn1.{m.Groups[1]}"),
        R(@"_body\.stage(\d)_block(\d+)\.shortcut\.(.+)", m => $"layer{m.Groups[1]}.{Int(m, 2) - 1}.downsample.0.{m.Groups[3]}"),
        R(@"_body\.stage(\d)_block(\d+)\.shortcut_bn\.(.+)", m => $"layer{m.Groups[1]}.{Int(m, 2) - 1}.downsample.1.{m.Groups[3]}"),
        R(@"_body\.stage(\d)_block(\d+)\.(.+)", m => $"layer{m.Groups[1]}.{Int(m, 2) - 1}.{m.Groups[3]}"),
        R(@"_classifier\.(.+)", m => $"fc.{m.Groups[1]}"),
    ];

    private static readonly Rule[] WideResNetRules =
    [
        R(@"_body\.stem\.(.+)", m => $"conv1.{m.Groups[1]}"),
        R(@"_body\.stage(\d)_block(\d+)\.shortcut\.(.+)", m => $"block{m.Groups[1]}.layer.{Int(m, 2) - 1}.convShortcut.{m.Groups[3]}"),
        R(@"_body\.stage(\d)_block(\d+)\.(.+)", m => $"block{m.Groups[1]}.layer.{Int(m, 2) - 1}.{m.Groups[3]}"),
        R(@"_body\.bn\.(.+)", m => $"bn1.{m.Groups[1]}"),
        R(@"_classifier\.(.+)", m => $"fc.{m.Groups[1]}"),
    ];

    private static readonly Rule[] VggRules =
    [
        R(@"_body\.stage(\d)_conv(\d+)\.(.+)", m => $"block{Int(m, 1) - 1}.{3 * (Int(m, 2) - 1)}.{m.Groups[3]}"),
        R(@"_body\.stage(\d)_bn(\d+)\.(.+)", m => $"block{Int(m, 1) - 1}.{3 * (Int(m, 2) - 1) + 1}.{m.Groups[3]}"),
        R(@"_classifier\.(.+)", m => $"classifier.{m.Groups[1]}"),
    ];

    /// <summary>The concrete layouts <see cref="WeightsLayout.Auto"/> tries, in order.</summary>
    public static readonly IReadOnlyList<WeightsLayout> Concrete = [WeightsLayout.Distill, WeightsLayout.RepDistiller];

    /// <summary>
    /// Whether <paramref name="layout"/> has <paramref name="model"/>'s network: RepDistiller has no AlexNet, and its
    /// ResNets all project (He et al.'s zero-padded ResNet has no counterpart there).
    /// </summary>
    public static bool Covers(WeightsLayout layout, ClassifierNet model) =>
        Names(layout, model) && (layout != WeightsLayout.RepDistiller || model is not CifarResNet { Projection: false });

    /// <summary>Whether <paramref name="layout"/> names <paramref name="model"/>'s kind of tensors (its zero-padded ResNets too, for messages).</summary>
    public static bool Names(WeightsLayout layout, ClassifierNet model) => layout != WeightsLayout.RepDistiller || RulesFor(model) is not null;

    /// <summary>
    /// The name <paramref name="layout"/> gives the tensor Distill calls <paramref name="ours"/> in <paramref name="model"/>.
    /// </summary>
    public static string Name(WeightsLayout layout, ClassifierNet model, string ours)
    {
        if (layout == WeightsLayout.Distill) return ours;
        if (layout != WeightsLayout.RepDistiller) throw new ArgumentOutOfRangeException(nameof(layout), layout, "a concrete layout");
        var rules = RulesFor(model) ?? throw new InvalidOperationException($"RepDistiller has no {model.GetName()}");
        foreach (var rule in rules)
            if (rule.Pattern.Match(ours) is { Success: true } match) return rule.Rename(match);
        throw new InvalidOperationException($"no RepDistiller name for {model.GetName()}'s {ours}");
    }

    /// <summary>The pipeline's word for a layout (`layout:` of a train stage's `weights:`).</summary>
    public static string Key(WeightsLayout layout) => layout.ToString().ToLowerInvariant();

    private static Rule[]? RulesFor(ClassifierNet model) => model switch
    {
        CifarResNet => ResNetRules,
        WideResNet => WideResNetRules,
        VggCifar => VggRules,
        _ => null,
    };
}
