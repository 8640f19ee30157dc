using System.Globalization;
using System.Text.RegularExpressions;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Binding;

/// <summary>Checks a YAML map against a list of <see cref="ParameterSpec"/>s: unknown keys, types, ranges,
/// required keys; returns the typed values with defaults filled in. Every problem is reported, none thrown.</summary>
internal sealed class ParameterBinder(ErrorSink errors)
{
    /// <param name="map">The map to read.</param>
    /// <param name="specs">Keys this map may hold.</param>
    /// <param name="where">Names the map in messages, e.g. "train stage 'teacher'".</param>
    /// <param name="handledElsewhere">Keys the caller reads itself (kind, inputs ...).</param>
    /// <param name="missingAt">Where to report missing required keys (usually the map's own key).</param>
    /// <param name="otherKindsKeys">Keys valid for sibling kinds, reported as "does not apply" rather than unknown.</param>
    public Dictionary<string, object> Bind(YMapping map, IReadOnlyList<ParameterSpec> specs, string where,
        IReadOnlySet<string>? handledElsewhere, Position missingAt, IReadOnlySet<string>? otherKindsKeys = null)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, node) in map.Entries.Select(e => (e.Key, e.Value)))
        {
            if (handledElsewhere?.Contains(key.Value) == true) continue;
            var spec = specs.FirstOrDefault(s => s.Name == key.Value);
            if (spec is null)
            {
                errors.Add(key.Start, otherKindsKeys?.Contains(key.Value) == true
                    ? $"key '{key.Value}' does not apply to {where}"
                    : $"unknown key '{key.Value}' in {where}{Suggest.Hint(key.Value, specs.Select(s => s.Name).Concat(handledElsewhere ?? new HashSet<string>()))}");
                continue;
            }
            if (Convert(spec, node) is { } value) values[spec.Name] = value;
        }
        foreach (var spec in specs)
        {
            if (values.ContainsKey(spec.Name) || handledElsewhere?.Contains(spec.Name) == true) continue;
            if (map.Find(spec.Name) is not null) continue; // present but invalid: already reported
            if (spec.Required && !map.Incomplete) errors.Add(missingAt, $"missing required key '{spec.Name}' in {where}");
            else if (spec.Default is ParameterSet && spec.Type == ParameterType.Map)
                values[spec.Name] = ParameterSet.From(Bind(new YMapping(missingAt, []), spec.Fields, where, null, missingAt));
            else if (spec.Type == ParameterType.Variant && spec.Default is string variant)
                values[spec.Name] = BindVariant(spec, spec.Variants.Single(v => v.Name == variant), new YMapping(missingAt, []));
            else if (spec.Default is { } d) values[spec.Name] = d;
        }
        return values;
    }

    /// <summary>`loss: dkd` or `loss: { name: dkd, beta: 4 }`: the variant's name and keys, defaults filled in.</summary>
    private ParameterSet? ConvertVariant(ParameterSpec spec, YNode node)
    {
        var names = string.Join(", ", spec.Variants.Select(v => v.Name));
        var (nameNode, fields) = node switch
        {
            YScalar s => (s, new YMapping(s.Start, [])),
            YMapping m => (m.Find("name")?.Value as YScalar, m),
            _ => (null, null),
        };
        if (fields is null) return (ParameterSet?)Wrong(spec, node, $"a name ({names}) or a map with 'name'");
        if (nameNode is null) return (ParameterSet?)Error(node, $"{spec.Name} needs a 'name' ({names})");
        var variant = spec.Variants.FirstOrDefault(v => v.Name == nameNode.Value);
        if (variant is null)
            return (ParameterSet?)Error(nameNode, $"unknown {spec.Name} '{nameNode.Value}' (expected {names}){Suggest.Hint(nameNode.Value, spec.Variants.Select(v => v.Name))}");
        return BindVariant(spec, variant, fields);
    }

    private ParameterSet BindVariant(ParameterSpec spec, VariantSpec variant, YMapping fields)
    {
        var values = Bind(fields, variant.Fields, $"{spec.Name} '{variant.Name}'", new HashSet<string> { "name" }, fields.Start);
        values["name"] = variant.Name;
        return ParameterSet.From(values);
    }

    /// <summary>The typed value, or null after reporting why the node does not fit the spec.</summary>
    public object? Convert(ParameterSpec spec, YNode node)
    {
        if (node is YInvalid) return null;
        switch (spec.Type)
        {
            case ParameterType.Map:
                if (node is not YMapping m) return Wrong(spec, node, "a map");
                return ParameterSet.From(Bind(m, spec.Fields, $"'{spec.Name}'", null, m.Start));
            case ParameterType.Variant:
                return ConvertVariant(spec, node);
            case ParameterType.NumberList:
            case ParameterType.EnumList:
            case ParameterType.ClassList:
                return ConvertList(spec, node);
            case ParameterType.ClassPairs:
                return ConvertPairs(spec, node);
            default:
                if (node is not YScalar s) return Wrong(spec, node, Expected(spec.Type));
                var v = ConvertScalar(spec, s, spec.Name);
                if (v is not null && spec.Rule?.Invoke(v) is { } problem)
                {
                    errors.Add(s.Start, $"{spec.Name} {problem}, got {s.Typed.Describe()}");
                    return null;
                }
                return v;
        }
    }

    private object? ConvertScalar(ParameterSpec spec, YScalar s, string label)
    {
        var t = s.Typed;
        switch (spec.Type)
        {
            case ParameterType.Integer:
                if (t.Type != ScalarType.Integer || t.Integer is < int.MinValue or > int.MaxValue)
                    return Wrong(spec, s, "an integer", label);
                return CheckRange(spec, s, (int)t.Integer, label) ? (int)t.Integer : null;
            case ParameterType.Number:
            case ParameterType.NumberList:
                if (t.Type is not (ScalarType.Integer or ScalarType.Float)) return Wrong(spec, s, "a number", label);
                if (!double.IsFinite(t.Float)) return Error(s, $"{label} must be a finite number, got {t.Text}");
                return CheckRange(spec, s, t.Float, label) ? t.Float : null;
            case ParameterType.Boolean:
                return t.Type == ScalarType.Boolean ? t.Boolean : Wrong(spec, s, "true or false", label);
            case ParameterType.Enum:
            case ParameterType.EnumList:
                if (t.Type == ScalarType.Null || !spec.Values.Contains(t.Text))
                    return Error(s, $"{label} must be one of {string.Join(", ", spec.Values)}; got {t.Describe()}{Suggest.Hint(t.Text, spec.Values)}");
                return t.Text;
            case ParameterType.String:
                if (t.Type == ScalarType.Null) return Wrong(spec, s, "a string", label);
                if (spec.Pattern is { } pattern && !Regex.IsMatch(t.Text, pattern))
                    return Error(s, $"{label} '{t.Text}' must match {pattern}");
                return t.Text;
            case ParameterType.ClassList:
            case ParameterType.ClassPairs:
                return t.Type switch
                {
                    ScalarType.Integer when t.Integer is >= 0 and <= int.MaxValue => (int)t.Integer,
                    ScalarType.Integer => Error(s, $"{label}: a class index must be >= 0, got {t.Text}"),
                    ScalarType.String or ScalarType.Float or ScalarType.Boolean => t.Text,
                    _ => Wrong(spec, s, "a class name or index", label),
                };
            default:
                throw new InvalidOperationException($"no scalar form for {spec.Type}");
        }
    }

    private object? ConvertList(ParameterSpec spec, YNode node)
    {
        if (node is not YSequence seq) return Wrong(spec, node, "a list");
        var items = new List<object>();
        var ok = true;
        foreach (var item in seq.Items)
        {
            if (item is YInvalid) { ok = false; continue; }
            if (item is not YScalar s) { Wrong(spec, item, "a list of scalars"); ok = false; continue; }
            var v = ConvertScalar(spec, s, $"{spec.Name} item");
            if (v is null) { ok = false; continue; }
            if (spec.Type != ParameterType.NumberList && items.Any(x => Equals(x, v)))
            {
                Error(s, $"{spec.Name} lists {s.Typed.Describe()} twice");
                ok = false;
                continue;
            }
            items.Add(v);
        }
        if (!ok) return null;
        if (spec.MinItems is { } min && items.Count < min || spec.MaxItems is { } max && items.Count > max)
            return Error(seq, $"{spec.Name} must list {CountText(spec)}, got {items.Count}");
        if (spec.Ascending && items.Zip(items.Skip(1)).Any(p => (double)p.First >= (double)p.Second))
            return Error(seq, $"{spec.Name} must be strictly ascending");
        return items;
    }

    /// <summary>A list of two-class lists: each pair's classes distinct, no pair twice.</summary>
    private object? ConvertPairs(ParameterSpec spec, YNode node)
    {
        if (node is not YSequence seq) return Wrong(spec, node, "a list of class pairs");
        var pairs = new List<object>();
        var ok = true;
        foreach (var item in seq.Items)
        {
            if (item is YInvalid) { ok = false; continue; }
            if (item is not YSequence pair || pair.Items.Count != 2 || pair.Items.Any(i => i is not YScalar))
            {
                Wrong(spec, item, "a pair of two classes, as [a, b]", $"{spec.Name} item");
                ok = false;
                continue;
            }
            var classes = pair.Items.Cast<YScalar>().Select(s => ConvertScalar(spec, s, $"{spec.Name} item")).ToList();
            if (classes.Any(c => c is null)) { ok = false; continue; }
            if (Equals(classes[0], classes[1]))
            {
                Error(pair, $"{spec.Name} pairs {((YScalar)pair.Items[0]).Typed.Describe()} with itself");
                ok = false;
                continue;
            }
            pairs.Add(classes.Cast<object>().ToList());
        }
        if (!ok) return null;
        if (spec.MinItems is { } min && pairs.Count < min) return Error(seq, $"{spec.Name} must list {CountText(spec)}, got {pairs.Count}");
        return pairs;
    }

    private static string CountText(ParameterSpec spec) => (spec.MinItems, spec.MaxItems) switch
    {
        ({ } a, { } b) when a == b => $"exactly {a} item{(a == 1 ? "" : "s")}",
        ({ } a, { } b) => $"{a} to {b} items",
        ({ } a, null) => $"at least {a} item{(a == 1 ? "" : "s")}",
        (null, { } b) => $"at most {b} items",
        _ => "any number of items",
    };

    private bool CheckRange(ParameterSpec spec, YScalar s, double v, string label)
    {
        if (spec.InRange(v)) return true;
        var range = spec.RangeText()!;
        errors.Add(s.Start, range.StartsWith('[') || range.StartsWith('(')
            ? $"{label} must be in {range}, got {s.Typed.Text}"
            : $"{label} must be {range}, got {s.Typed.Text}");
        return false;
    }

    private object? Wrong(ParameterSpec spec, YNode node, string expected, string? label = null)
    {
        var got = node switch
        {
            YScalar s => s.Typed.Describe(),
            YSequence => "a list",
            _ => "a map",
        };
        return Error(node, $"{label ?? spec.Name} must be {expected}, got {got}");
    }

    private object? Error(YNode node, string message)
    {
        errors.Add(node.Start, message);
        return null;
    }

    private static string Expected(ParameterType t) => t switch
    {
        ParameterType.Integer => "an integer",
        ParameterType.Number => "a number",
        ParameterType.Boolean => "true or false",
        _ => "a string",
    };

    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
