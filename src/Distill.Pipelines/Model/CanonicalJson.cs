using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines;

/// <summary>Writes definitions as canonical JSON: keys sorted ordinally, no whitespace, numbers in invariant
/// shortest round-trip form, so equal definitions give equal bytes.</summary>
public static class CanonicalJson
{
    /// <summary>Version of the resolved-definition format; bump it when the meaning of a key changes so that
    /// old stage keys stop matching.</summary>
    public const int FormatVersion = 2;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <param name="inputKeys">The input stages' keys by id: inputs are written as each role's keys (content, not names).
    /// Without them, each role's count (the shape alone, for uses that do not know the keys, such as seeding).</param>
    public static string ForStage(StageDefinition stage, PipelineDefinition pipeline, IReadOnlyDictionary<string, string>? inputKeys = null)
    {
        var kind = pipeline.Catalogue.Find(stage.Kind) ?? throw new InvalidOperationException($"unknown stage kind '{stage.Kind}'");
        var doc = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["format"] = FormatVersion,
            ["kind"] = stage.Kind,
            // The seed feeds every random stream of the stage, so it is part of what the stage computes.
            ["seed"] = pipeline.Seed,
            // So do the device and the CPU thread count (reductions split their work by thread, so 1 and 2 threads
            // give different bits); the engine resolves `auto` and 0 to what this machine uses before keying.
            ["compute"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["device"] = pipeline.Device, ["threads"] = pipeline.Threads },
            ["parameters"] = Filter(stage.Parameters, kind.Parameters),
            // By content: the keys of the stages each role reads, in order (or only how many, without the keys).
            ["inputs"] = stage.Inputs.ToDictionary(kv => kv.Key,
                kv => inputKeys is null ? (object)kv.Value.Count : kv.Value.Select(id => (object)inputKeys[id]).ToList()),
        };
        if (kind.ResultNamesStages)
        {
            doc["id"] = stage.Id;
            doc["inputs"] = stage.Inputs.ToDictionary(kv => kv.Key, kv => (object)kv.Value.Cast<object>().ToList());
        }
        // Only for replicated stages, so the keys of every other stage stay as they were.
        if (stage.Replicate is { } replicate) doc["replicate"] = replicate;
        // Only for kinds whose outputs name the pipeline (the report's title), so other stages are shared across pipelines.
        if (kind.ResultNamesPipeline) doc["pipeline"] = pipeline.Name;
        if (stage.Dataset is { } d)
        {
            var dataset = pipeline.Datasets[d];
            var spec = pipeline.Catalogue.FindDataset(dataset.Kind)!;
            doc["dataset"] = Filter(dataset.Parameters, spec.Parameters);
        }
        if (stage.Model is { } m)
        {
            var model = pipeline.Models[m];
            doc["model"] = Filter(model.Parameters, pipeline.Catalogue.FindArchitecture(model.Architecture)!.Parameters);
        }
        return Write(doc);
    }

    public static string Write(object value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) WriteValue(writer, value);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Only keys that change what the stage computes (see <see cref="ParameterSpec.AffectsResult"/>).</summary>
    private static SortedDictionary<string, object> Filter(ParameterSet values, IReadOnlyList<ParameterSpec> specs)
    {
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is { AffectsResult: false }) continue;
            if (spec is { KeyOmitsDefault: true } && IsDefault(spec, value)) continue;
            result[key] = spec is { Type: ParameterType.Map } && value is ParameterSet nested ? Filter(nested, spec.Fields) : value;
        }
        return result;
    }

    /// <summary>The key's default: for a variant, the default choice with every one of its keys at its default.</summary>
    private static bool IsDefault(ParameterSpec spec, object value)
    {
        if (spec.Type != ParameterType.Variant) return Equals(spec.Default, value);
        if (value is not ParameterSet set || set.GetString("name") != (string?)spec.Default) return false;
        var variant = spec.Variants.Single(v => v.Name == (string)spec.Default!);
        return variant.Fields.All(f => !set.ContainsKey(f.Name) || Equals(f.Default, set[f.Name]));
    }

    private static void WriteValue(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case double d: w.WriteNumberValue(d); break;
            case ParameterSet p: WriteObject(w, p); break;
            case IEnumerable<KeyValuePair<string, object>> map: WriteObject(w, map); break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list) WriteValue(w, item!);
                w.WriteEndArray();
                break;
            default: throw new InvalidOperationException($"cannot write {value.GetType().Name} as canonical JSON");
        }
    }

    private static void WriteObject(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, object>> map)
    {
        w.WriteStartObject();
        foreach (var (key, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(key);
            WriteValue(w, v);
        }
        w.WriteEndObject();
    }
}
