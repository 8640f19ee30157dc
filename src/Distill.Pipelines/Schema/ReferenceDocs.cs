using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Schema;

/// <summary>
/// The key tables of pipelines/README.md, generated from the catalogue: each table sits between
/// <c>&lt;!-- keys: NAME --&gt;</c> and <c>&lt;!-- /keys --&gt;</c>, and <see cref="Update"/> rewrites them all,
/// so type, default, constraint and meaning are the loader's. Prose around the tables stays hand-written.
/// </summary>
public static partial class ReferenceDocs
{
    /// <param name="groups">Keys several kinds share, documented once (e.g. "training"): left out of those kinds' tables.</param>
    public static string Update(string readme, StageCatalogue catalogue, IReadOnlyDictionary<string, IReadOnlyList<ParameterSpec>> groups)
    {
        var tables = Tables(catalogue, groups);
        var unknown = new List<string>();
        var result = Region().Replace(readme, m =>
        {
            var name = m.Groups["name"].Value;
            if (!tables.TryGetValue(name, out var table)) { unknown.Add(name); return m.Value; }
            return $"<!-- keys: {name} -->\n{table}<!-- /keys -->";
        });
        if (unknown.Count > 0) throw new ArgumentException($"no generated table named {string.Join(", ", unknown)}");
        var missing = tables.Keys.Where(name => !readme.Contains($"<!-- keys: {name} -->", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"the README has no place for the table(s) {string.Join(", ", missing)}");
        return result;
    }

    [GeneratedRegex(@"<!-- keys: (?<name>[a-z0-9.-]+) -->\n.*?<!-- /keys -->", RegexOptions.Singleline)]
    private static partial Regex Region();

    /// <summary>Every generated table by name: pipeline, stage, datasets, models, each group, each stage kind, and each variant key's choices.</summary>
    public static IReadOnlyDictionary<string, string> Tables(StageCatalogue catalogue, IReadOnlyDictionary<string, IReadOnlyList<ParameterSpec>> groups)
    {
        var tables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["pipeline"] = KeyTable(PipelineKeys.Scalars)
                + string.Concat(PipelineKeys.Sections.Select(s => Row([$"`{s.Name}`", "map", s.Required ? "**required**" : "{}", "", s.Description]))),
            ["stage"] = KeyTable(catalogue.CommonKeys.Concat(StageReferenceKeys.All)),
            ["datasets"] = KeyTable(catalogue.Datasets.Select(d => (d.Name, d.Parameters)).ToList(), "kinds"),
            ["models"] = KeyTable(catalogue.Architectures.Select(a => (a.Name, a.Parameters)).ToList(), "architectures"),
            ["architectures"] = "| architecture | network |\n| --- | --- |\n"
                + string.Concat(catalogue.Architectures.Select(a => $"| `{a.Name}` | {Cell(a.Description)} |\n")),
        };
        foreach (var (name, specs) in groups) tables[name] = KeyTable(specs);
        foreach (var kind in catalogue.All)
        {
            var shared = groups.Values.Where(g => g.All(s => kind.Parameters.Any(p => p.Name == s.Name))).SelectMany(g => g).Select(s => s.Name).ToHashSet();
            var own = kind.ReferenceKeys.Where(k => kind.References != StageReferences.DatasetAndModel).Concat(kind.Parameters.Where(p => !shared.Contains(p.Name))).ToList();
            tables[kind.Name] = own.Count == 0 ? "No keys of its own.\n" : KeyTable(own);
            foreach (var variant in kind.Parameters.Where(p => p.Type == ParameterType.Variant))
                tables[$"{kind.Name}.{variant.Name}"] = VariantTable(variant);
        }
        return tables;
    }

    private static string KeyTable(IEnumerable<ParameterSpec> specs) => KeyTable([("", specs.ToList())], null);

    /// <summary>One row per key (nested keys dotted); with <paramref name="ownerColumn"/>, the owners that accept each key.</summary>
    private static string KeyTable(IReadOnlyList<(string Owner, IReadOnlyList<ParameterSpec> Specs)> owners, string? ownerColumn)
    {
        var rows = new List<(string Key, List<(string Owner, ParameterSpec Spec)> Uses)>();
        void Add(string owner, string prefix, ParameterSpec spec)
        {
            var key = prefix + spec.Name;
            var row = rows.FirstOrDefault(r => r.Key == key);
            if (row.Key is null) rows.Add(row = (key, []));
            row.Uses.Add((owner, spec));
            if (spec.Type == ParameterType.Map)
                foreach (var field in spec.Fields) Add(owner, key + ".", field);
        }
        foreach (var (owner, specs) in owners)
            foreach (var spec in specs) Add(owner, "", spec);

        var text = new StringBuilder();
        text.Append(ownerColumn is null ? "| key | type | default | constraint | meaning |\n| --- | --- | --- | --- | --- |\n"
            : $"| key | {ownerColumn} | type | default | constraint | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var (key, uses) in rows)
        {
            var cells = new List<string> { $"`{key}`" };
            if (ownerColumn is not null) cells.Add(uses.Count == owners.Count ? "all" : string.Join(", ", uses.Select(u => u.Owner)));
            cells.Add(PerOwner(uses, p => Cell(TypeText(p)), "; "));
            cells.Add(PerOwner(uses, DefaultText, "; "));
            cells.Add(PerOwner(uses, p => Cell(ConstraintText(p)), "; "));
            cells.Add(PerOwner(uses, Meaning, "<br>"));
            text.Append(Row(cells));
        }
        return text.ToString();
    }

    /// <summary>One text when every owner's key reads the same, else "owner: text" per group of owners.</summary>
    private static string PerOwner(List<(string Owner, ParameterSpec Spec)> uses, Func<ParameterSpec, string> text, string separator)
    {
        var groups = uses.GroupBy(u => text(u.Spec)).ToList();
        return groups.Count == 1 ? groups[0].Key
            : string.Join(separator, groups.Select(g => $"{string.Join(", ", g.Select(u => u.Owner))}: {(g.Key.Length == 0 ? "—" : g.Key)}"));
    }

    private static string Row(IEnumerable<string> cells) => "|" + string.Concat(cells.Select(c => c.Length == 0 ? " |" : $" {c} |")) + "\n";

    private static string VariantTable(ParameterSpec variant)
    {
        var text = new StringBuilder("| name | keys (default) | loss |\n| --- | --- | --- |\n");
        foreach (var choice in variant.Variants)
        {
            var keys = choice.Fields.Count == 0 ? "none" : string.Join(", ", choice.Fields.Select(f => $"`{f.Name}` ({DefaultText(f)})"));
            text.Append($"| `{choice.Name}`{(choice.Name == (string?)variant.Default ? " (default)" : "")} | {keys} | {Cell(choice.Description)} |\n");
        }
        return text.ToString();
    }

    private static string TypeText(ParameterSpec p) => p.Type switch
    {
        ParameterType.Integer => "int",
        ParameterType.Number => "float",
        ParameterType.Boolean => "bool",
        ParameterType.String => "string",
        ParameterType.Enum => Alternatives(p.Values),
        ParameterType.NumberList => "list of floats",
        ParameterType.EnumList => $"list of {Alternatives(p.Values)}",
        ParameterType.ClassList => p.MinItems == p.MaxItems ? $"list of {p.MinItems} classes" : "list of classes",
        ParameterType.ClassPairs => "list of class pairs",
        ParameterType.Map => "map",
        ParameterType.Variant => "name, or map with `name`",
        _ => p.Type.ToString(),
    };

    private static string DefaultText(ParameterSpec p) => p switch
    {
        { Required: true } => "**required**",
        { Default: null } => "—",
        { Type: ParameterType.Map } => "",
        _ => Value(p.Default),
    };

    private static string Value(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => s.Length == 0 ? "\"\"" : $"`{s}`",
        System.Collections.IEnumerable list => $"[{string.Join(", ", list.Cast<object>().Select(v => Value(v).Trim('`')))}]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string ConstraintText(ParameterSpec p)
    {
        var parts = new List<string>();
        if (p.RangeText() is { } range) parts.Add(p.Type == ParameterType.NumberList ? $"each {(range.StartsWith('[') || range.StartsWith('(') ? "in " : "")}{range}" : range);
        if (p.Type is ParameterType.EnumList or ParameterType.ClassList) parts.Add("distinct");
        if (p.Type != ParameterType.ClassList && p.MinItems is { } min) parts.Add($"at least {min}");
        if (p.Ascending) parts.Add("strictly ascending");
        if (p.RuleText is { } rule) parts.Add(rule);
        if (p.Pattern is { } pattern) parts.Add($"`{pattern}`");
        if (p.Type == ParameterType.Variant) parts.Add(Alternatives(p.Values));
        if (p.CheckedText is { } check) parts.Add(check);
        return string.Join(", ", parts);
    }

    private static string Meaning(ParameterSpec p)
    {
        var text = p.Description;
        if (!p.AffectsResult) text += " Not part of the stage key.";
        return Cell(text);
    }

    private static string Alternatives(IEnumerable<string> values) => string.Join(" | ", values);

    /// <summary>Text safe inside a table cell.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
