using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Distill.Runs;

/// <summary>
/// A stage's identity: the lowercase hex SHA-256 of its resolved definition, the dataset it reads, the
/// output format version and the keys of the stages it reads from. Same key means "same work", so a
/// completed stage with the same key is skipped and a started one resumed.
/// </summary>
public static class StageKey
{
    /// <summary>Bumped only if the encoding below changes; it is hashed, so a bump re-keys every stage.</summary>
    public const string EncodingTag = "distill-stage-key/v1";

    /// <summary>
    /// Hashes, as UTF-8, exactly this text (each <c>\n</c> a single line feed; lengths are UTF-8 byte counts,
    /// which makes the encoding unambiguous whatever the fields contain):
    /// <code>
    /// distill-stage-key/v1\n
    /// definition:&lt;byte length&gt;\n&lt;canonicalDefinitionJson&gt;\n
    /// dataset:&lt;byte length&gt;\n&lt;datasetFingerprint&gt;\n
    /// format-version:&lt;formatVersion, invariant decimal&gt;\n
    /// inputs:&lt;count&gt;\n
    /// &lt;input key&gt;\n   (one line per input key, sorted ordinally, so their order does not matter)
    /// </code>
    /// The definition must already be canonical (Distill.Pipelines.CanonicalJson writes it): any difference in its text
    /// (key order, whitespace, "1" vs "1.0") is a different key. Input keys are lowercased hex keys of this
    /// same function; duplicates are kept.
    /// </summary>
    public static string Compute(string canonicalDefinitionJson, string datasetFingerprint, int formatVersion, IEnumerable<string> inputKeys)
    {
        ArgumentNullException.ThrowIfNull(canonicalDefinitionJson);
        ArgumentNullException.ThrowIfNull(datasetFingerprint);
        ArgumentNullException.ThrowIfNull(inputKeys);

        var sortedInputs = inputKeys.Select(k => k ?? throw new ArgumentException("An input key is null.", nameof(inputKeys)))
            .Select(k => k.ToLowerInvariant())
            .Order(StringComparer.Ordinal)
            .ToList();

        var text = new StringBuilder();
        text.Append(EncodingTag).Append('\n');
        AppendField(text, "definition", canonicalDefinitionJson);
        AppendField(text, "dataset", datasetFingerprint);
        text.Append("format-version:").Append(formatVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("inputs:").Append(sortedInputs.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var key in sortedInputs) text.Append(key).Append('\n');

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The first 12 hex digits, for log lines and messages.</summary>
    public static string Short(string key) => key.Length <= 12 ? key : key[..12];

    private static void AppendField(StringBuilder text, string name, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        text.Append(name).Append(':').Append(length.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(value).Append('\n');
    }
}
