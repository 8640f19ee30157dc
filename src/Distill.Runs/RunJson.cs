using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.Runs;

/// <summary>The JSON conventions of every run-store file: camelCase names, enums as camelCase strings, indented.</summary>
public static class RunJson
{
    /// <summary>Shared, read-only options. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Reads a JSON file, turning a missing file into null and malformed JSON into a <see cref="RunFormatException"/>.</summary>
    public static T? ReadFile<T>(string path) where T : class
    {
        byte[] bytes;
        try { bytes = TransientIo.Run(() => File.ReadAllBytes(path)); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Options)
                ?? throw new RunFormatException(path, "holds JSON null instead of an object");
        }
        catch (JsonException e)
        {
            throw new RunFormatException(path, $"is not valid {typeof(T).Name} JSON ({e.Message})", e);
        }
    }
}
