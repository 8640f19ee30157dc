using System.Text.RegularExpressions;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>Expands a stage's <c>matrix:</c> into one stage per combination of values (first variable
/// varies slowest) and substitutes ${variable} references in each copy. A stage's <c>seeds:</c> list is one more
/// variable, <c>seed</c>, varying fastest: every other setting repeated once per seed, the id ending in
/// <c>-seed&lt;N&gt;</c> unless its template says where <c>${seed}</c> goes.</summary>
internal sealed partial class MatrixExpander(ErrorSink errors)
{
    /// <summary>Most stages one matrix may produce; beyond that it is surely a mistake.</summary>
    public const int MaxCombinations = 1000;

    public const string IdPattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
    public const int MaxIdLength = 100;

    public IReadOnlyList<ExpandedStage> Expand(YScalar nameKey, YMapping body)
    {
        var name = nameKey.Value;
        var matrixEntry = body.Find("matrix");
        var seedsEntry = body.Find(SeedsKey);
        var idEntry = body.Find("id");
        var rest = new YMapping(body.Start, body.Entries.Where(e => e.Key.Value is not ("matrix" or "id" or SeedsKey)).ToList(), body.Incomplete);

        if (matrixEntry is null && seedsEntry is null)
        {
            if (idEntry is not null)
                errors.Add(idEntry.Key.Start, $"'id' is only allowed on matrix stages; stage '{name}' already has the id '{name}'");
            var plain = (YMapping)new Substitution(new Dictionary<string, YScalar>(), errors, name).Apply(rest);
            return [new ExpandedStage(name, name, nameKey, plain, new Dictionary<string, object>(), nameKey.Start, false)];
        }

        var variables = matrixEntry is null ? [] : ReadMatrix(matrixEntry);
        var seeds = seedsEntry is null ? null : ReadSeeds(seedsEntry);
        if (variables is null || (seedsEntry is not null && seeds is null)) return [];
        if (seeds is not null) variables.Add(seeds);
        var axesAt = (matrixEntry ?? seedsEntry)!.Key.Start;
        var combinations = variables.Aggregate(1L, (n, v) => n * v.Values.Count);
        if (combinations > MaxCombinations)
        {
            errors.Add(axesAt, $"matrix of stage '{name}' expands to {combinations} stages; the limit is {MaxCombinations}");
            return [];
        }
        var idNamesSeed = idEntry?.Value is YScalar template && template.Value.Contains("${" + SeedVariable + "}", StringComparison.Ordinal);

        var result = new List<ExpandedStage>();
        var badIdReported = false;
        foreach (var combo in Combinations(variables))
        {
            var bound = combo.ToDictionary(c => c.Name, c => c.Value, StringComparer.Ordinal);
            var substitution = new Substitution(bound, errors, name);
            var stageBody = (YMapping)substitution.Apply(rest);
            var (id, idAt) = idEntry is null
                ? (DefaultId(name, combo), axesAt)
                : (TemplateId(substitution, idEntry), idEntry.Value.Start);
            if (id is null) continue;
            if (idEntry is not null && seeds is not null && !idNamesSeed) id += $"-{SeedVariable}{bound[SeedVariable].Value}";
            if (id.Length > MaxIdLength || !Regex.IsMatch(id, IdPattern))
            {
                if (badIdReported) continue; // one template, one message
                badIdReported = true;
                errors.Add(idAt, $"stage id '{id}' is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit, at most {MaxIdLength} characters");
                continue;
            }
            var values = combo.ToDictionary(c => c.Name, c => TypedValue(c.Value), StringComparer.Ordinal);
            result.Add(new ExpandedStage(id, name, nameKey, stageBody, values, idAt, true));
        }
        return result;
    }

    private string? TemplateId(Substitution substitution, YEntry idEntry) => substitution.Apply(idEntry.Value) switch
    {
        YScalar s when s.Typed.Type != ScalarType.Null => s.Value,
        YInvalid => null,
        var other => Report(other, "id must be a string template such as \"student-T${temperature}\""),
    };

    private string? Report(YNode node, string message)
    {
        errors.Add(node.Start, message);
        return null;
    }

    private sealed record Variable(string Name, IReadOnlyList<YScalar> Values);

    /// <summary>The stage key listing replicate seeds, and the variable each expanded stage's seed is bound to.</summary>
    public const string SeedsKey = "seeds";
    public const string SeedVariable = "seed";

    /// <summary>`seeds: [1, 2, 3]`: distinct non-negative integers.</summary>
    private Variable? ReadSeeds(YEntry entry)
    {
        if (entry.Value is not YSequence seq || seq.Items.Count == 0)
        {
            Report(entry.Value, "seeds must be a non-empty list of distinct whole numbers, e.g. [1, 2, 3]");
            return null;
        }
        var values = new List<YScalar>();
        foreach (var item in seq.Items)
        {
            if (item is not YScalar { Typed: { Type: ScalarType.Integer, Integer: >= 0 and <= int.MaxValue } } s)
                Report(item, "seeds: each seed must be a whole number from 0 to 2147483647");
            else if (values.Any(v => v.Typed.Integer == s.Typed.Integer))
                Report(item, $"seeds lists {s.Value} twice");
            else
            {
                values.Add(s);
                continue;
            }
            return null;
        }
        return new Variable(SeedVariable, values);
    }

    private List<Variable>? ReadMatrix(YEntry matrixEntry)
    {
        if (matrixEntry.Value is not YMapping map || map.Entries.Count == 0)
        {
            Report(matrixEntry.Value, "matrix must be a non-empty map: variable -> list of values");
            return null;
        }
        var variables = new List<Variable>();
        var ok = true;
        foreach (var (key, node) in map.Entries.Select(e => (e.Key, e.Value)))
        {
            if (key.Value == SeedVariable)
            {
                Report(key, $"matrix variable '{SeedVariable}' is reserved: list replicate seeds with 'seeds: [1, 2, 3]' on the stage");
                ok = false;
                continue;
            }
            if (!VariableName().IsMatch(key.Value))
            {
                Report(key, $"matrix variable '{key.Value}' must be letters, digits, '_' or '-', starting with a letter");
                ok = false;
                continue;
            }
            if (node is not YSequence seq || seq.Items.Count == 0)
            {
                Report(node, $"matrix variable '{key.Value}' needs a non-empty list of values");
                ok = false;
                continue;
            }
            var values = new List<YScalar>();
            foreach (var item in seq.Items)
            {
                if (item is not YScalar s || s.Typed.Type == ScalarType.Null)
                {
                    Report(item, $"matrix variable '{key.Value}': values must be numbers, strings or booleans");
                    ok = false;
                }
                else if (values.Any(v => v.Value == s.Value))
                {
                    Report(item, $"matrix variable '{key.Value}' lists {s.Typed.Describe()} twice");
                    ok = false;
                }
                else values.Add(s);
            }
            variables.Add(new Variable(key.Value, values));
        }
        return ok ? variables : null;
    }

    private static IEnumerable<List<(string Name, YScalar Value)>> Combinations(IReadOnlyList<Variable> variables)
    {
        IEnumerable<List<(string, YScalar)>> acc = [[]];
        foreach (var v in variables)
            acc = acc.SelectMany(prefix => v.Values.Select(value => new List<(string, YScalar)>(prefix) { (v.Name, value) })).ToList();
        return acc;
    }

    /// <summary>Readable default: base name, then "-&lt;variable&gt;&lt;value&gt;" per variable, e.g. student-temperature4-teacherhard.</summary>
    private static string DefaultId(string name, IEnumerable<(string Name, YScalar Value)> combo) =>
        name + string.Concat(combo.Select(c => "-" + Slug(c.Name) + Slug(c.Value.Value)));

    private static string Slug(string text) => UnsafeChars().Replace(text.ToLowerInvariant(), "-");

    public static object TypedValue(YScalar s)
    {
        var t = s.Typed;
        return t.Type switch
        {
            ScalarType.Integer when t.Integer is >= int.MinValue and <= int.MaxValue => (int)t.Integer,
            ScalarType.Integer => t.Integer,
            ScalarType.Float => t.Float,
            ScalarType.Boolean => t.Boolean,
            _ => t.Text,
        };
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex VariableName();

    [GeneratedRegex("[^a-z0-9._]")]
    private static partial Regex UnsafeChars();
}
