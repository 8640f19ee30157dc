namespace Distill.Pipelines.Yaml;

/// <summary>An immutable YAML node with its source position. Aliases share the anchored node object;
/// <see cref="Weight"/> counts the nodes a full expansion would visit, so alias bombs are caught cheaply.</summary>
internal abstract class YNode(Position start, long weight)
{
    public Position Start { get; } = start;
    public long Weight { get; } = weight;
}

/// <summary>A scalar; <see cref="IsPlain"/> is true for an unquoted, untagged scalar whose type comes from
/// the YAML core schema (numbers, booleans, null); every other scalar is a string.</summary>
internal sealed class YScalar(Position start, string value, bool isPlain) : YNode(start, 1)
{
    public string Value { get; } = value;
    public bool IsPlain { get; } = isPlain;

    public ScalarValue Typed => ScalarValue.Resolve(this);

    public YScalar WithValue(string value, bool isPlain, Position? at = null) => new(at ?? Start, value, isPlain);
}

internal sealed class YSequence(Position start, IReadOnlyList<YNode> items)
    : YNode(start, 1 + items.Sum(i => i.Weight))
{
    public IReadOnlyList<YNode> Items { get; } = items;
}

internal sealed record YEntry(YScalar Key, YNode Value);

internal sealed class YMapping(Position start, IReadOnlyList<YEntry> entries, bool incomplete = false)
    : YNode(start, 1 + entries.Sum(e => e.Value.Weight + 1))
{
    public IReadOnlyList<YEntry> Entries { get; } = entries;

    /// <summary>A merge key of this map could not be resolved (already reported): keys may be missing
    /// through no further fault, so "missing key" errors are not reported for it.</summary>
    public bool Incomplete { get; } = incomplete;

    public YEntry? Find(string key) => Entries.FirstOrDefault(e => e.Key.Value == key);
}

/// <summary>Stands in for a value already reported as wrong (e.g. an unknown ${variable}), so that later
/// checks stay quiet about it instead of piling up follow-on errors.</summary>
internal sealed class YInvalid(Position start) : YNode(start, 1);
