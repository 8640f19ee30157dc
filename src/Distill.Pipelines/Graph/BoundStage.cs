using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>A stage reference as written in <c>inputs:</c>, with where it is written.</summary>
internal sealed record InputReference(string Text, Position At);

/// <summary>An input role as written: the role name and its references.</summary>
internal sealed record InputRole(string Role, Position At, IReadOnlyList<InputReference> References);

/// <summary>An expanded stage with its kind and parameters checked, as cross-stage checks see it; <see cref="Spec"/> is
/// null when the kind itself was missing or wrong (the stage still exists, so references to it do not cascade).</summary>
public sealed class BoundStage
{
    internal BoundStage(ExpandedStage source, StageKindSpec? spec, Dictionary<string, object> parameters,
        string? dataset, string? model, IReadOnlyList<InputRole> inputs, int order)
    {
        (Source, Spec, Parameters, Dataset, Model, Inputs, Order) = (source, spec, parameters, dataset, model, inputs, order);
    }

    internal ExpandedStage Source { get; }
    public string Id => Source.Id;
    public StageKindSpec? Spec { get; }
    public string? Kind => Spec?.Name;

    /// <summary>The stage's parameters with defaults filled in; checks may replace values (class names by indices).</summary>
    public Dictionary<string, object> Parameters { get; }

    public string? Dataset { get; }
    public string? Model { get; }
    internal IReadOnlyList<InputRole> Inputs { get; }

    /// <summary>Position in declaration order; ties in the topological order are broken by it.</summary>
    internal int Order { get; }

    /// <summary>Role -> ids, filled in by <see cref="InputResolver"/>.</summary>
    public Dictionary<string, IReadOnlyList<string>> Resolved { get; } = new(StringComparer.Ordinal);

    /// <summary>Where a key's value is written in the stage (or the stage's name when absent).</summary>
    internal Position At(params string[] path)
    {
        YNode node = Source.Body;
        foreach (var key in path)
        {
            if (node is not YMapping map || map.Find(key) is not { } entry) return Source.NameKey.Start;
            node = entry.Value;
        }
        return node.Start;
    }

    internal Position NameAt => Source.NameKey.Start;
}
