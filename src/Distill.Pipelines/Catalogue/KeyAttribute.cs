namespace Distill.Pipelines.Catalogue;

/// <summary>
/// Declares a parameter of a record's primary constructor as a pipeline key: the record is the one declaration
/// of a kind's keys, and <see cref="ParameterRecords"/> derives the <see cref="ParameterSpec"/>s (loader, schema,
/// docs) and reads resolved values back into the record. The key's type follows the C# type (int, double, bool,
/// string, a C# enum, lists, a nested record for a map, <see cref="Choice"/> for a variant); its default is the
/// C# default value; a non-nullable parameter without a default is required. A record parameter without this
/// attribute is a group of keys inlined at that place (the training keys train and distill share).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class KeyAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;

    /// <summary>Lower bound (NaN: none).</summary>
    public double Min { get; set; } = double.NaN;
    public bool ExclusiveMin { get; set; }
    /// <summary>Upper bound (NaN: none).</summary>
    public double Max { get; set; } = double.NaN;
    public bool ExclusiveMax { get; set; }

    /// <summary>See <see cref="ParameterSpec.AffectsResult"/>.</summary>
    public bool AffectsResult { get; set; } = true;
    /// <summary>See <see cref="ParameterSpec.HashesFiles"/>.</summary>
    public bool HashesFiles { get; set; }
    /// <summary>See <see cref="ParameterSpec.SeedOmitsDefault"/>.</summary>
    public bool SeedOmitsDefault { get; set; }

    /// <summary>Regular expression a string must match in full.</summary>
    public string? Pattern { get; set; }

    /// <summary>Allowed values of a string key (an enum of names) or of a list of strings.</summary>
    public string[]? Values { get; set; }

    /// <summary>Default of a list key (C# has no constant lists): numbers of a number list.</summary>
    public double[]? DefaultNumbers { get; set; }
    /// <summary>Default of a list of strings.</summary>
    public string[]? DefaultValues { get; set; }
    /// <summary>Default of a class list (0-based indices); the list must have exactly as many items.</summary>
    public int[]? DefaultClasses { get; set; }
    /// <summary>Default of a list of class pairs: each item "name | name".</summary>
    public string[]? DefaultPairs { get; set; }

    /// <summary>Fewest items of a list (0: no bound).</summary>
    public int MinItems { get; set; }
    /// <summary>Items of a number list must be strictly ascending.</summary>
    public bool Ascending { get; set; }

    /// <summary>Name of a static method <c>string? Rule(object value)</c> on the record: a check beyond type and range.</summary>
    public string? Rule { get; set; }
    /// <summary>The rule in words, for the schema and docs.</summary>
    public string? RuleText { get; set; }

    /// <summary>See <see cref="ParameterSpec.CheckedText"/>.</summary>
    public string? Checked { get; set; }

    /// <summary>
    /// For a <see cref="Choice"/>: a type with public static members <c>IReadOnlyList&lt;VariantSpec&gt; Variants</c>
    /// and <c>string Default</c>, the choices the key offers.
    /// </summary>
    public Type? Variants { get; set; }
}

/// <summary>The value of a variant key: the choice's name and its own keys (defaults filled in).</summary>
public sealed record Choice(string Name, ParameterSet Keys);
