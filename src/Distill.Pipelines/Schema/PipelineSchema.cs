using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Schema;

/// <summary>Generates the JSON Schema (draft 2020-12) of the pipeline format from the catalogue, so editors
/// can validate and complete pipeline files. pipelines/schema/pipeline.schema.json is this output; a test
/// keeps the two equal.</summary>
public static class PipelineSchema
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    private const string MatrixReferencePattern = @"^\$\{[A-Za-z][A-Za-z0-9_-]*\}$";

    public static string ToJson(StageCatalogue catalogue)
    {
        var schema = Build(catalogue);
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    public static JsonObject Build(StageCatalogue catalogue)
    {
        var properties = new JsonObject();
        foreach (var p in PipelineKeys.Scalars) properties[p.Name] = Value(p);
        properties["datasets"] = NamedMap("Named datasets: name -> dataset definition.", "#/$defs/dataset");
        properties["models"] = NamedMap("Named models: name -> model definition.", "#/$defs/model");
        properties["stages"] = NamedMap("Named stages: name -> stage definition; run in dependency order.", "#/$defs/stage");
        ((JsonObject)properties["stages"]!)["minProperties"] = 1;

        var defs = new JsonObject
        {
            ["matrix-reference"] = new JsonObject
            {
                ["type"] = "string", ["pattern"] = MatrixReferencePattern,
                ["description"] = "A whole-value ${variable} reference, replaced by the matrix value (keeping its type).",
            },
            ["stage-ids"] = new JsonObject
            {
                ["description"] = "A stage id, a matrix stage's base name, \"*\", or a list of those.",
                ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "string" },
                    new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }),
            },
            ["dataset"] = Discriminated("kind", catalogue.Datasets.Select(k => (k.Name, k.Description, (IEnumerable<ParameterSpec>)k.Parameters, (JsonObject?)null))),
            ["model"] = Discriminated("architecture", catalogue.Architectures.Select(a => (a.Name, a.Description, (IEnumerable<ParameterSpec>)a.Parameters, (JsonObject?)null))),
            ["stage"] = Discriminated("kind", catalogue.All.Select(k => (k.Name, k.Description, StageKeys(catalogue, k), (JsonObject?)Inputs(catalogue, k)))),
        };

        return new JsonObject
        {
            ["$schema"] = Draft,
            ["$id"] = "https://distill.invalid/schema/pipeline.schema.json",
            ["title"] = "Distill pipeline",
            ["description"] = "A knowledge-distillation pipeline: datasets, models and stages (see pipelines/README.md).",
            ["type"] = "object",
            ["required"] = new JsonArray("name", "stages"),
            ["properties"] = properties,
            ["patternProperties"] = new JsonObject
            {
                ["^" + PipelineKeys.ExtensionPrefix] = new JsonObject { ["description"] = "Ignored; a place for YAML anchors." },
            },
            ["additionalProperties"] = false,
            ["$defs"] = defs,
        };
    }

    private static IEnumerable<ParameterSpec> StageKeys(StageCatalogue catalogue, StageKindSpec k) =>
        catalogue.CommonKeys.Where(c => c.Name is not ("inputs" or "kind"))
            .Concat(k.ReferenceKeys)
            .Concat(k.Parameters);

    private static JsonObject Inputs(StageCatalogue catalogue, StageKindSpec k)
    {
        var description = catalogue.CommonKeys.Single(c => c.Name == "inputs").Description;
        if (k.AnyInputRoles)
            return new JsonObject
            {
                ["type"] = "object", ["description"] = description,
                ["additionalProperties"] = new JsonObject { ["$ref"] = "#/$defs/stage-ids" },
            };
        var roles = new JsonObject();
        foreach (var r in k.Inputs)
            roles[r.Role] = new JsonObject { ["$ref"] = "#/$defs/stage-ids", ["description"] = r.Description };
        return new JsonObject
        {
            ["type"] = "object", ["description"] = description, ["properties"] = roles,
            ["required"] = new JsonArray(k.Inputs.Where(r => r.Required).Select(r => (JsonNode)r.Role).ToArray()),
            ["additionalProperties"] = false,
        };
    }

    /// <summary>A map whose members share a discriminator key (kind / architecture); one if/then branch per
    /// value lists exactly the keys of that variant.</summary>
    private static JsonObject Discriminated(string key, IEnumerable<(string Name, string Description, IEnumerable<ParameterSpec> Keys, JsonObject? Inputs)> variants)
    {
        var list = variants.ToList();
        var branches = new JsonArray();
        foreach (var (name, description, keys, inputs) in list)
        {
            var props = new JsonObject { [key] = new JsonObject { ["const"] = name, ["description"] = description } };
            foreach (var p in keys.Where(p => p.Name != key)) props[p.Name] = Value(p);
            if (inputs is not null) props["inputs"] = inputs;
            var required = new JsonArray(keys.Where(p => p.Required && p.Name != key).Select(p => (JsonNode)p.Name).ToArray());
            if (inputs?["required"] is JsonArray { Count: > 0 }) required.Add("inputs");
            var then = new JsonObject { ["properties"] = props, ["additionalProperties"] = false };
            if (required.Count > 0) then["required"] = required;
            branches.Add(new JsonObject
            {
                ["if"] = new JsonObject { ["properties"] = new JsonObject { [key] = new JsonObject { ["const"] = name } }, ["required"] = new JsonArray(key) },
                ["then"] = then,
            });
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray(key),
            ["properties"] = new JsonObject { [key] = new JsonObject { ["enum"] = new JsonArray(list.Select(v => (JsonNode)v.Name).ToArray()) } },
            ["allOf"] = branches,
        };
    }

    private static JsonObject NamedMap(string description, string reference) => new()
    {
        ["type"] = "object",
        ["description"] = description,
        ["propertyNames"] = new JsonObject { ["pattern"] = PipelineKeys.NamePattern },
        ["additionalProperties"] = new JsonObject { ["$ref"] = reference },
    };

    /// <summary>The schema of one key; scalar keys also accept a ${variable} reference, which the matrix fills in.</summary>
    private static JsonObject Value(ParameterSpec p)
    {
        var s = p.Name switch
        {
            "matrix" => new JsonObject
            {
                ["type"] = "object",
                ["propertyNames"] = new JsonObject { ["pattern"] = "^[A-Za-z][A-Za-z0-9_-]*$" },
                ["additionalProperties"] = new JsonObject
                {
                    ["type"] = "array", ["minItems"] = 1,
                    ["items"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean") },
                },
            },
            "id" => new JsonObject { ["type"] = "string" },
            "seeds" => new JsonObject
            {
                ["type"] = "array", ["minItems"] = 1, ["uniqueItems"] = true,
                ["items"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = int.MaxValue },
            },
            _ => Typed(p),
        };
        s["description"] = Describe(p);
        if (p.Default is { } d && p.Type != ParameterType.Map) s["default"] = JsonValue(d);
        return p.Type is ParameterType.Map or ParameterType.Variant or ParameterType.NumberList or ParameterType.EnumList or ParameterType.ClassList or ParameterType.ClassPairs
               || p.Name is "matrix" or "id"
            ? s
            : new JsonObject { ["description"] = s["description"]!.DeepClone(), ["anyOf"] = new JsonArray(WithoutDescription(s), new JsonObject { ["$ref"] = "#/$defs/matrix-reference" }) };
    }

    private static JsonObject WithoutDescription(JsonObject s)
    {
        var copy = (JsonObject)s.DeepClone();
        copy.Remove("description");
        return copy;
    }

    private static JsonObject Typed(ParameterSpec p)
    {
        var s = new JsonObject();
        switch (p.Type)
        {
            case ParameterType.Integer: s["type"] = "integer"; Range(s, p); break;
            case ParameterType.Number: s["type"] = "number"; Range(s, p); break;
            case ParameterType.Boolean: s["type"] = "boolean"; break;
            case ParameterType.String:
                s["type"] = "string";
                if (p.Pattern is { } pattern) s["pattern"] = pattern;
                break;
            case ParameterType.Enum: s["enum"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()); break;
            case ParameterType.NumberList:
                var item = new JsonObject { ["type"] = "number" };
                Range(item, p);
                s["type"] = "array"; s["items"] = item;
                break;
            case ParameterType.EnumList:
                s["type"] = "array"; s["uniqueItems"] = true;
                s["items"] = new JsonObject { ["enum"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()) };
                break;
            case ParameterType.ClassList:
                s["type"] = "array"; s["uniqueItems"] = true;
                s["items"] = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "integer", ["minimum"] = 0 }) };
                break;
            case ParameterType.ClassPairs:
                var oneClass = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "integer", ["minimum"] = 0 }) };
                s["type"] = "array";
                s["items"] = new JsonObject { ["type"] = "array", ["items"] = oneClass, ["minItems"] = 2, ["maxItems"] = 2 };
                break;
            case ParameterType.Map:
                var props = new JsonObject();
                foreach (var f in p.Fields) props[f.Name] = Value(f);
                s["type"] = "object"; s["properties"] = props; s["additionalProperties"] = false;
                break;
            case ParameterType.Variant:
                // A name alone, or a map of the name and that variant's keys.
                var choices = new JsonArray(new JsonObject { ["enum"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()) });
                foreach (var variant in p.Variants)
                {
                    var fields = new JsonObject { ["name"] = new JsonObject { ["const"] = variant.Name, ["description"] = variant.Description } };
                    foreach (var f in variant.Fields) fields[f.Name] = Value(f);
                    choices.Add(new JsonObject
                    {
                        ["type"] = "object", ["properties"] = fields, ["required"] = new JsonArray("name"), ["additionalProperties"] = false,
                    });
                }
                s["oneOf"] = choices;
                break;
        }
        if (p.MinItems is { } min) s["minItems"] = min;
        if (p.MaxItems is { } max) s["maxItems"] = max;
        return s;
    }

    private static void Range(JsonObject s, ParameterSpec p)
    {
        if (p.Minimum is { } lo) s[p.ExclusiveMinimum ? "exclusiveMinimum" : "minimum"] = lo;
        if (p.Maximum is { } hi) s[p.ExclusiveMaximum ? "exclusiveMaximum" : "maximum"] = hi;
    }

    private static string Describe(ParameterSpec p)
    {
        var extra = new List<string>();
        if (p.RangeText() is { } range) extra.Add(range);
        if (p.RuleText is { } rule) extra.Add(rule);
        if (p.Ascending) extra.Add("ascending");
        if (!p.AffectsResult) extra.Add("does not change the stage key");
        return extra.Count == 0 ? p.Description : $"{p.Description} ({string.Join("; ", extra)})";
    }

    private static JsonNode? JsonValue(object value) => value switch
    {
        int i => i,
        double d => d,
        bool b => b,
        string s => s,
        IEnumerable<object> list => new JsonArray(list.Select(JsonValue).ToArray()),
        _ => null,
    };
}
