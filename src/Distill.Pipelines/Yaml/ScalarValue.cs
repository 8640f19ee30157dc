using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Pipelines.Yaml;

internal enum ScalarType { Null, Boolean, Integer, Float, String }

/// <summary>A scalar typed by the YAML 1.2 core schema (plain scalars only; quoted ones are strings).</summary>
internal readonly partial record struct ScalarValue(ScalarType Type, string Text, long Integer, double Float, bool Boolean)
{
    public static ScalarValue Resolve(YScalar s)
    {
        var t = s.Value;
        if (!s.IsPlain) return new(ScalarType.String, t, 0, 0, false);
        if (t is "" or "~" or "null" or "Null" or "NULL") return new(ScalarType.Null, t, 0, 0, false);
        if (t is "true" or "True" or "TRUE") return new(ScalarType.Boolean, t, 0, 0, true);
        if (t is "false" or "False" or "FALSE") return new(ScalarType.Boolean, t, 0, 0, false);
        if (IntPattern().IsMatch(t) && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return new(ScalarType.Integer, t, l, l, false);
        if (t.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h))
            return new(ScalarType.Integer, t, h, h, false);
        if (FloatPattern().IsMatch(t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return new(ScalarType.Float, t, 0, d, false);
        if (t is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF") return new(ScalarType.Float, t, 0, double.PositiveInfinity, false);
        if (t is "-.inf" or "-.Inf" or "-.INF") return new(ScalarType.Float, t, 0, double.NegativeInfinity, false);
        if (t is ".nan" or ".NaN" or ".NAN") return new(ScalarType.Float, t, 0, double.NaN, false);
        return new(ScalarType.String, t, 0, 0, false);
    }

    /// <summary>How the value reads in a message: strings quoted, everything else as written.</summary>
    public string Describe() => Type switch
    {
        ScalarType.Null => "nothing (null)",
        ScalarType.String => $"'{Text}'",
        _ => Text,
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
