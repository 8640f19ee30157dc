using System.Text.Json;

namespace Distill.Runs;

/// <summary>
/// <c>&lt;run&gt;/stages/&lt;id&gt;.json</c>: which store entry a pipeline's stage currently stands for, and what made up
/// its key (the canonical definition, the dataset's fingerprint and the input stages' keys), so that a later key
/// can be explained setting by setting. A small file rather than a link, because links break on some filesystems.
/// </summary>
public sealed record StagePointer(
    string Key,
    string Kind,
    JsonElement Definition,
    string DatasetFingerprint,
    IReadOnlyDictionary<string, string> InputKeys,
    DateTimeOffset UpdatedAt,
    string? SeedKey = null)
{
    /// <summary>A pointer for a key made of this canonical definition JSON, fingerprint and input keys.</summary>
    /// <param name="seedKey">See <see cref="StageManifest.SeedKey"/>.</param>
    public static StagePointer Create(string key, string kind, string canonicalDefinition, string datasetFingerprint,
        IReadOnlyDictionary<string, string> inputKeys, DateTimeOffset now, string? seedKey = null)
    {
        using var json = JsonDocument.Parse(canonicalDefinition);
        return new StagePointer(key, kind, json.RootElement.Clone(), datasetFingerprint,
            new SortedDictionary<string, string>(inputKeys.ToDictionary(), StringComparer.Ordinal), now, seedKey);
    }

    public static StagePointer? Load(string path) => RunJson.ReadFile<StagePointer>(path);

    public void Save(string path) => AtomicFile.WriteJson(path, this);

    /// <summary>
    /// What differs between the key this pointer was written for and <paramref name="now"/>: the settings
    /// that changed ("parameters.alpha 0.1 -> 0.2"), inputs whose keys changed, the dataset, or, if none of those,
    /// the engine's format version.
    /// </summary>
    public string DescribeChangeTo(StagePointer now)
    {
        if (Definition.ValueKind != JsonValueKind.Object || !Definition.EnumerateObject().Any())
            return "definition, data or inputs differ (the earlier settings were not recorded)";
        var (before, after) = (DefinitionSettings.Flatten(Definition), DefinitionSettings.Flatten(now.Definition));
        // The definition's format first: after an upgrade it explains every other difference.
        var changes = before.Keys.Union(after.Keys).OrderBy(path => path != "format").ThenBy(path => path, StringComparer.Ordinal)
            .Where(path => before.GetValueOrDefault(path) != after.GetValueOrDefault(path))
            .Select(path => $"{path} {before.GetValueOrDefault(path) ?? "(unset)"} -> {after.GetValueOrDefault(path) ?? "(unset)"}")
            .ToList();
        changes.AddRange(now.InputKeys.Where(i => InputKeys.TryGetValue(i.Key, out var old) && !string.Equals(old, i.Value, StringComparison.OrdinalIgnoreCase))
            .Select(i => $"input '{i.Key}' changed"));
        if (DatasetFingerprint != now.DatasetFingerprint) changes.Add("dataset or imported files changed");
        if (changes.Count == 0) return "engine format version changed";
        return changes.Count <= 3 ? string.Join("; ", changes) : $"{string.Join("; ", changes.Take(3))}; and {changes.Count - 3} more";
    }
}

/// <summary>A canonical stage definition flattened to dotted paths ("parameters.alpha" -> "0.1"), for diffs.</summary>
public static class DefinitionSettings
{
    public static SortedDictionary<string, string> Flatten(JsonElement definition)
    {
        var flat = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(definition, "", flat);
        return flat;
    }

    public static SortedDictionary<string, string> Flatten(string canonicalJson)
    {
        using var json = JsonDocument.Parse(canonicalJson);
        return Flatten(json.RootElement);
    }

    private static void Flatten(JsonElement element, string path, IDictionary<string, string> flat)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", flat);
                break;
            case JsonValueKind.String:
                flat[path] = element.GetString()!;
                break;
            case JsonValueKind.Array:
                flat[path] = JsonSerializer.Serialize(element); // compact, however the file holding it was indented
                break;
            default:
                flat[path] = element.GetRawText();
                break;
        }
    }
}
