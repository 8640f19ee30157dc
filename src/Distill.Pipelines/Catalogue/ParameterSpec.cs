using System.Globalization;

namespace Distill.Pipelines.Catalogue;

/// <summary>The value shapes a pipeline key can take.</summary>
public enum ParameterType
{
    /// <summary>A whole number (stored as <see cref="int"/>).</summary>
    Integer,
    /// <summary>A real number (stored as <see cref="double"/>; integers are accepted).</summary>
    Number,
    Boolean,
    /// <summary>Free text (any scalar is accepted as its text).</summary>
    String,
    /// <summary>One of <see cref="ParameterSpec.Values"/>.</summary>
    Enum,
    /// <summary>A list of numbers.</summary>
    NumberList,
    /// <summary>A list of distinct values from <see cref="ParameterSpec.Values"/>.</summary>
    EnumList,
    /// <summary>A list of distinct class names or 0-based class indices.</summary>
    ClassList,
    /// <summary>A list of class pairs, each a list of two distinct class names or 0-based class indices.</summary>
    ClassPairs,
    /// <summary>A nested map whose keys are <see cref="ParameterSpec.Fields"/>.</summary>
    Map,
    /// <summary>
    /// One of <see cref="ParameterSpec.Variants"/>, each with keys of its own: written as its name (`loss: kd`,
    /// every key at its default) or as a map holding `name` and its keys (`loss: { name: dkd, beta: 4 }`).
    /// Bound to a map of `name` and the variant's keys, defaults filled in.
    /// </summary>
    Variant,
}

/// <summary>One choice of a <see cref="ParameterType.Variant"/> key, with its own keys.</summary>
public sealed record VariantSpec(string Name, string Description, IReadOnlyList<ParameterSpec> Fields)
{
    /// <inheritdoc cref="StageKindSpec.Revision"/>
    public required int Revision { get; init; }
}

/// <summary>One key of the pipeline format: its type, default, constraints and meaning. The loader, the
/// JSON Schema and the documentation tests all read these, so they cannot drift apart.</summary>
public sealed record ParameterSpec
{
    public required string Name { get; init; }
    public required ParameterType Type { get; init; }
    public required string Description { get; init; }

    /// <summary>Value used when the key is absent; null means "absent stays absent" (or required).</summary>
    public object? Default { get; init; }
    public bool Required { get; init; }

    public double? Minimum { get; init; }
    public bool ExclusiveMinimum { get; init; }
    public double? Maximum { get; init; }
    public bool ExclusiveMaximum { get; init; }

    /// <summary>Allowed values of an <see cref="ParameterType.Enum"/> or <see cref="ParameterType.EnumList"/>.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    public int? MinItems { get; init; }
    public int? MaxItems { get; init; }
    /// <summary>List items must be strictly ascending.</summary>
    public bool Ascending { get; init; }

    /// <summary>Regular expression a <see cref="ParameterType.String"/> must match in full.</summary>
    public string? Pattern { get; init; }

    public IReadOnlyList<ParameterSpec> Fields { get; init; } = [];

    /// <summary>The choices of a <see cref="ParameterType.Variant"/> key (its default is a choice's name).</summary>
    public IReadOnlyList<VariantSpec> Variants { get; init; } = [];

    /// <summary>
    /// For keys added after stages' random streams were fixed: left out of the stage's seed text
    /// (<see cref="CanonicalJson.ForSeed"/>) while the value is the default, so every stage written before the key
    /// existed draws the same random numbers, and computes the same bits, as it did. Keys always hold every key.
    /// </summary>
    public bool SeedOmitsDefault { get; init; }

    /// <summary>False for keys that change how a stage runs but not what it computes (checkpoint interval,
    /// evaluation batch size, logging); they stay out of the canonical JSON, so changing them keeps the stage key.</summary>
    public bool AffectsResult { get; init; } = true;

    /// <summary>
    /// A path (relative to the pipeline file) whose contents are part of the stage key: a file's SHA-256, or for a
    /// folder every file's, so replacing an imported file re-runs the stage even when its name stays.
    /// </summary>
    public bool HashesFiles { get; init; }

    /// <summary>An extra check beyond type and range; returns a message (without the key name) or null.</summary>
    public Func<object, string?>? Rule { get; init; }
    /// <summary>The extra check in words, for documentation and the schema.</summary>
    public string? RuleText { get; init; }

    /// <summary>Checks made elsewhere (against the dataset or other stages), in words for the reference docs.</summary>
    public string? CheckedText { get; init; }

    /// <summary>"[0, 1)", "&gt;= 1", "&gt; 0" or null: the numeric range in the usual notation.</summary>
    public string? RangeText()
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return (Minimum, Maximum) switch
        {
            ({ } lo, { } hi) => $"{(ExclusiveMinimum ? "(" : "[")}{F(lo)}, {F(hi)}{(ExclusiveMaximum ? ")" : "]")}",
            ({ } lo, null) => $"{(ExclusiveMinimum ? ">" : ">=")} {F(lo)}",
            (null, { } hi) => $"{(ExclusiveMaximum ? "<" : "<=")} {F(hi)}",
            _ => null,
        };
    }

    public bool InRange(double v) =>
        (Minimum is not { } lo || (ExclusiveMinimum ? v > lo : v >= lo)) &&
        (Maximum is not { } hi || (ExclusiveMaximum ? v < hi : v <= hi));
}
