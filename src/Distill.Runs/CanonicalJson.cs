using System.Text.Json;

namespace Distill.Runs;

/// <summary>
/// A canonical text for JSON values, so that a stage key does not depend on formatting: object members
/// sorted ordinally by name, no whitespace, strings re-escaped uniformly, numbers kept exactly as written
/// (so "1" and "1.0" stay different; the caller decides the number's form when it resolves the definition).
/// </summary>
public static class CanonicalJson
{
    /// <summary>Canonicalizes a JSON document given as text. Duplicate member names are rejected.</summary>
    public static string Canonicalize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Canonicalize(document.RootElement);
    }

    /// <summary>Canonicalizes one JSON element.</summary>
    public static string Canonicalize(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            Write(writer, element);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                string? previous = null;
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    if (previous == member.Name) throw new JsonException($"Duplicate member '{member.Name}' in a stage definition.");
                    previous = member.Name;
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
