using System.Globalization;
using System.Text;
using System.Text.Json;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines;

/// <summary>
/// A loaded pipeline (validated, defaults applied, matrices expanded, inputs resolved, paths absolute) as JSON and
/// back, so a process that runs one of its stages (`distill run-stage`) is handed the pipeline as its parent resolved
/// it, with nothing to parse or validate again. Parameter values keep their types: integers are written as JSON
/// integers and reals always with a fraction or exponent, so 1 and 1.0 stay an int and a double.
/// </summary>
public static class ResolvedPipelineJson
{
    public const int Version = 1;

    public static string Write(PipelineDefinition pipeline)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteString("name", pipeline.Name);
            w.WriteNumber("seed", pipeline.Seed);
            w.WriteString("device", pipeline.Device);
            w.WriteNumber("threads", pipeline.Threads);
            w.WriteString("source", pipeline.SourcePath);
            if (pipeline.Description is { } description) w.WriteString("description", description);
            w.WritePropertyName("resources");
            JsonSerializer.Serialize(w, pipeline.Resources);
            w.WriteStartObject("datasets");
            foreach (var d in pipeline.Datasets.Values)
            {
                w.WriteStartObject(d.Name);
                w.WriteString("kind", d.Kind);
                w.WriteString("path", d.Path);
                WriteParameters(w, "parameters", d.Parameters);
                WriteLocation(w, d.Location);
                if (d.ClassNames is { } names)
                {
                    w.WriteStartArray("classes");
                    foreach (var n in names) w.WriteStringValue(n);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("models");
            foreach (var m in pipeline.Models.Values)
            {
                w.WriteStartObject(m.Name);
                w.WriteString("architecture", m.Architecture);
                WriteParameters(w, "parameters", m.Parameters);
                WriteLocation(w, m.Location);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("stages");
            foreach (var s in pipeline.Stages) WriteStage(w, s);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static PipelineDefinition Read(string json, StageCatalogue catalogue)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.GetProperty("version").GetInt32() != Version)
            throw new InvalidDataException($"a resolved pipeline of version {root.GetProperty("version")}, this build reads {Version}");
        var datasets = root.GetProperty("datasets").EnumerateObject().ToDictionary(d => d.Name, d => new DatasetDefinition(
            d.Name, d.Value.GetProperty("kind").GetString()!, d.Value.GetProperty("path").GetString()!, ReadParameters(d.Value.GetProperty("parameters")), ReadLocation(d.Value))
        {
            ClassNames = d.Value.TryGetProperty("classes", out var classes) ? classes.EnumerateArray().Select(c => c.GetString()!).ToList() : null,
        });
        var models = root.GetProperty("models").EnumerateObject().ToDictionary(m => m.Name, m => new ModelDefinition(
            m.Name, m.Value.GetProperty("architecture").GetString()!, ReadParameters(m.Value.GetProperty("parameters")), ReadLocation(m.Value)));
        var stages = root.GetProperty("stages").EnumerateArray().Select(ReadStage).ToList();
        return new PipelineDefinition(root.GetProperty("name").GetString()!, root.GetProperty("seed").GetInt32(), root.GetProperty("device").GetString()!,
            root.GetProperty("threads").GetInt32(), datasets, models, stages, root.GetProperty("source").GetString()!)
        {
            Description = root.TryGetProperty("description", out var description) ? description.GetString() : null,
            Resources = root.GetProperty("resources").Deserialize<StageResources>()!,
            Catalogue = catalogue,
        };
    }

    private static void WriteStage(Utf8JsonWriter w, StageDefinition s)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id);
        w.WriteString("base", s.BaseName);
        w.WriteString("kind", s.Kind);
        WriteParameters(w, "parameters", s.Parameters);
        w.WriteStartObject("inputs");
        foreach (var (role, ids) in s.Inputs)
        {
            w.WriteStartArray(role);
            foreach (var id in ids) w.WriteStringValue(id);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        if (s.Dataset is { } dataset) w.WriteString("dataset", dataset);
        if (s.Model is { } model) w.WriteString("model", model);
        w.WriteStartObject("matrix");
        foreach (var (name, value) in s.MatrixValues)
        {
            w.WritePropertyName(name);
            WriteValue(w, value);
        }
        w.WriteEndObject();
        WriteLocation(w, s.Location);
        w.WritePropertyName("resources");
        JsonSerializer.Serialize(w, s.Resources);
        w.WriteEndObject();
    }

    private static StageDefinition ReadStage(JsonElement s) => new(
        s.GetProperty("id").GetString()!, s.GetProperty("base").GetString()!, s.GetProperty("kind").GetString()!,
        ReadParameters(s.GetProperty("parameters")),
        s.GetProperty("inputs").EnumerateObject().ToDictionary(r => r.Name, r => (IReadOnlyList<string>)r.Value.EnumerateArray().Select(i => i.GetString()!).ToList(), StringComparer.Ordinal),
        s.TryGetProperty("dataset", out var dataset) ? dataset.GetString() : null,
        s.TryGetProperty("model", out var model) ? model.GetString() : null,
        s.GetProperty("matrix").EnumerateObject().ToDictionary(v => v.Name, v => ReadValue(v.Value)),
        ReadLocation(s))
    {
        Resources = s.GetProperty("resources").Deserialize<StageResources>()!,
    };

    private static void WriteParameters(Utf8JsonWriter w, string name, ParameterSet parameters)
    {
        w.WritePropertyName(name);
        WriteValue(w, parameters);
    }

    /// <summary>Resolved keys written as JSON (a definition's, or model.json's architecture keys) read back as values.</summary>
    public static ParameterSet ReadParameters(JsonElement e) =>
        ParameterSet.From(e.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, ReadValue(p.Value))));

    private static void WriteValue(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case int i: w.WriteNumberValue(i); break;
            case double d when double.IsFinite(d):
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                w.WriteRawValue(text.Contains('.') || text.Contains('E') ? text : text + ".0");
                break;
            case double d: throw new ArgumentException($"a resolved pipeline holds no non-finite number ({d})");
            case bool b: w.WriteBooleanValue(b); break;
            case string s: w.WriteStringValue(s); break;
            case ParameterSet map:
                w.WriteStartObject();
                foreach (var (k, v) in map)
                {
                    w.WritePropertyName(k);
                    WriteValue(w, v);
                }
                w.WriteEndObject();
                break;
            case IEnumerable<object> list:
                w.WriteStartArray();
                foreach (var item in list) WriteValue(w, item);
                w.WriteEndArray();
                break;
            default: throw new ArgumentException($"a parameter value of type {value.GetType().Name} has no JSON form");
        }
    }

    private static object ReadValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetRawText().AsSpan().IndexOfAny('.', 'E', 'e') >= 0 ? e.GetDouble() : (object)e.GetInt32(), // (object): else the int widens to double
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Object => ReadParameters(e),
        JsonValueKind.Array => (IReadOnlyList<object>)e.EnumerateArray().Select(ReadValue).ToList(),
        _ => throw new InvalidDataException($"no parameter value is JSON {e.ValueKind}"),
    };

    private static void WriteLocation(Utf8JsonWriter w, SourceLocation location)
    {
        w.WriteStartArray("at");
        w.WriteStringValue(location.File);
        w.WriteNumberValue(location.Line);
        w.WriteNumberValue(location.Column);
        w.WriteEndArray();
    }

    private static SourceLocation ReadLocation(JsonElement e)
    {
        var at = e.GetProperty("at");
        return new SourceLocation(at[0].GetString()!, at[1].GetInt32(), at[2].GetInt32());
    }
}
