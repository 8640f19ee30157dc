using System.Text.RegularExpressions;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>Replaces ${variable} references in a stage body with matrix values. A scalar that is exactly one
/// reference becomes the matrix value's own node (keeping its type: 4 stays a number, "4" a string);
/// references inside longer text are replaced by the value's text. "$${" writes a literal "${".</summary>
internal sealed partial class Substitution(IReadOnlyDictionary<string, YScalar> variables, ErrorSink errors, string stageName)
{
    public YNode Apply(YNode node) => node switch
    {
        YScalar s => ApplyScalar(s),
        YSequence seq => new YSequence(seq.Start, seq.Items.Select(Apply).ToList()),
        YMapping map => new YMapping(map.Start, map.Entries.Select(e => e with { Value = Apply(e.Value) }).ToList(), map.Incomplete),
        _ => node,
    };

    private YNode ApplyScalar(YScalar s)
    {
        if (!s.Value.Contains('$')) return s;
        var whole = WholeReference().Match(s.Value);
        if (whole.Success)
            return variables.TryGetValue(whole.Groups[1].Value, out var value) ? value : Unknown(s, whole.Groups[1].Value);

        var unknown = (string?)null;
        var text = Reference().Replace(s.Value, m =>
        {
            if (m.Value == "$${") return "${";
            if (variables.TryGetValue(m.Groups[1].Value, out var v)) return v.Value;
            unknown ??= m.Groups[1].Value;
            return m.Value;
        });
        return unknown is null ? s.WithValue(text, s.IsPlain) : Unknown(s, unknown);
    }

    private YInvalid Unknown(YScalar s, string name)
    {
        errors.Add(s.Start, variables.Count == 0
            ? $"unknown matrix variable '${{{name}}}': stage '{stageName}' has no matrix"
            : $"unknown matrix variable '${{{name}}}' (stage '{stageName}' has {string.Join(", ", variables.Keys)})");
        return new YInvalid(s.Start);
    }

    [GeneratedRegex(@"^\$\{([^}]*)\}$")]
    private static partial Regex WholeReference();

    [GeneratedRegex(@"\$\$\{|\$\{([^}]*)\}")]
    private static partial Regex Reference();
}
