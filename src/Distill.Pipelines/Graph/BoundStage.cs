using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>A stage reference as written in <c>inputs:</c>, with where it is written.</summary>
internal sealed record InputReference(string Text, Position At);

/// <summary>An input role as written: the role name and its references.</summary>
internal sealed record InputRole(string Role, Position At, IReadOnlyList<InputReference> References);

/// <summary>An expanded stage with its kind and parameters checked; <see cref="Spec"/> is null when the
/// kind itself was missing or wrong (the stage still exists, so references to it do not cascade).</summary>
internal sealed class BoundStage(ExpandedStage source, StageKindSpec? spec, Dictionary<string, object> parameters,
    string? dataset, string? model, IReadOnlyList<InputRole> inputs, int order)
{
    public ExpandedStage Source { get; } = source;
    public string Id => Source.Id;
    public StageKindSpec? Spec { get; } = spec;
    public string? Kind => Spec?.Name;
    public Dictionary<string, object> Parameters { get; } = parameters;
    public string? Dataset { get; } = dataset;
    public string? Model { get; } = model;
    public IReadOnlyList<InputRole> Inputs { get; } = inputs;

    /// <summary>Position in declaration order; ties in the topological order are broken by it.</summary>
    public int Order { get; } = order;

    /// <summary>Role -> ids, filled in by <see cref="InputResolver"/>.</summary>
    public Dictionary<string, IReadOnlyList<string>> Resolved { get; } = new(StringComparer.Ordinal);

    /// <summary>Where a key's value is written in the stage (or the stage's name when absent).</summary>
    public Position At(params string[] path)
    {
        YNode node = Source.Body;
        foreach (var key in path)
        {
            if (node is not YMapping map || map.Find(key) is not { } entry) return Source.NameKey.Start;
            node = entry.Value;
        }
        return node.Start;
    }

    public Position NameAt => Source.NameKey.Start;
}
