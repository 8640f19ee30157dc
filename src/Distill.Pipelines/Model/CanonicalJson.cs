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
    /// old stage keys stop matching. 3: the code revisions (`code`), and every key written, defaults too.</summary>
    public const int FormatVersion = 3;

    /// <summary>The format of the seed text, fixed: a stage's random streams must not move when keys do.</summary>
    private const int SeedFormatVersion = 2;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The stage's definition as its key hashes it: what it computes and the code that computes it.</summary>
    /// <param name="inputKeys">The input stages' keys by id: inputs are written as each role's keys (content, not names).
    /// Without them, each role's count (the shape alone, for uses that do not know the keys, such as comparing runs).</param>
    public static string ForStage(StageDefinition stage, PipelineDefinition pipeline, IReadOnlyDictionary<string, string>? inputKeys = null)
    {
        var doc = Document(stage, pipeline, inputKeys, seedText: false);
        // The revisions of the code that computes the stage's bits (its kind, dataset reader, architecture, loss,
        // kernels), so a fixed loss never reuses yesterday's students.
        doc["code"] = CodeRevisions.Of(stage, pipeline);
        return Write(doc);
    }

    /// <summary>
    /// The text a stage's random streams are seeded from (with the pipeline seed): its definition as format 2 wrote
    /// it, without code revisions, keys added since left out at their default (<see cref="ParameterSpec.SeedOmitsDefault"/>).
    /// Fixed, so that neither a new key nor a revision bump moves the random numbers of a stage whose settings did not
    /// change. With the inputs' seed keys, it is what the stage's seed key hashes (Distill.Runs.StageManifest.SeedKey).
    /// </summary>
    public static string ForSeed(StageDefinition stage, PipelineDefinition pipeline, IReadOnlyDictionary<string, string>? inputSeedKeys = null) =>
        Write(Document(stage, pipeline, inputSeedKeys, seedText: true));

    private static SortedDictionary<string, object> Document(StageDefinition stage, PipelineDefinition pipeline,
        IReadOnlyDictionary<string, string>? inputKeys, bool seedText)
    {
        var kind = pipeline.Catalogue.Find(stage.Kind) ?? throw new InvalidOperationException($"unknown stage kind '{stage.Kind}'");
        var doc = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["format"] = seedText ? SeedFormatVersion : FormatVersion,
            ["kind"] = stage.Kind,
            // The seed feeds every random stream of the stage, so it is part of what the stage computes.
            ["seed"] = pipeline.Seed,
            // So do the device and the CPU thread count (reductions split their work by thread, so 1 and 2 threads
            // give different bits); the engine resolves `auto` and 0 to what this machine uses before keying.
            ["compute"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["device"] = pipeline.Device, ["threads"] = pipeline.Threads },
            ["parameters"] = Filter(stage.Parameters, kind.Parameters, seedText),
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
            doc["dataset"] = Filter(dataset.Parameters, spec.Parameters, seedText);
        }
        if (stage.Model is { } m)
        {
            var model = pipeline.Models[m];
            doc["model"] = Filter(model.Parameters, pipeline.Catalogue.FindArchitecture(model.Architecture)!.Parameters, seedText);
        }
        return doc;
    }

    public static string Write(object value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) WriteValue(writer, value);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Only keys that change what the stage computes (see <see cref="ParameterSpec.AffectsResult"/>); for the seed
    /// text, without keys that are at their default and younger than the seeds (<see cref="ParameterSpec.SeedOmitsDefault"/>).</summary>
    private static SortedDictionary<string, object> Filter(ParameterSet values, IReadOnlyList<ParameterSpec> specs, bool seedText)
    {
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is { AffectsResult: false }) continue;
            if (seedText && spec is { SeedOmitsDefault: true } && IsDefault(spec, value)) continue;
            result[key] = spec is { Type: ParameterType.Map } && value is ParameterSet nested ? Filter(nested, spec.Fields, seedText) : value;
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
