using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>One stage after matrix expansion, still as YAML: its body has every ${variable} substituted.</summary>
internal sealed record ExpandedStage(
    string Id,
    string BaseName,
    YScalar NameKey,
    YMapping Body,
    IReadOnlyDictionary<string, object> MatrixValues,
    Position IdAt,
    bool FromMatrix);
