using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Distill.Pipelines.Yaml;

/// <summary>Reads one YAML document into <see cref="YNode"/>s from YamlDotNet's event parser, keeping every
/// node's position. We build our own tree (rather than YamlStream) to detect duplicate keys, resolve
/// merge keys with their original positions, and bound alias expansion.</summary>
internal sealed partial class YamlTreeReader
{
    /// <summary>Most nodes a document may expand to (aliases and merges counted at full size).</summary>
    public const long MaxExpandedNodes = 100_000;

    /// <summary>Deepest nesting accepted; guards the recursive reader against stack exhaustion.</summary>
    public const int MaxDepth = 64;

    private readonly ErrorSink _errors;
    private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
    private long _expanded;

    private YamlTreeReader(ErrorSink errors) => _errors = errors;

    /// <summary>Returns the document's root, or null after reporting why there is none.</summary>
    public static YNode? Read(string text, ErrorSink errors) => new YamlTreeReader(errors).ReadStream(text);

    private sealed class LimitExceeded(Position at, string message) : Exception(message)
    {
        public Position At { get; } = at;
    }

    private YNode? ReadStream(string text)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                _errors.Add(Position.Start, "the pipeline file is empty");
                return null;
            }
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                _errors.Add(At(second.Start), "a pipeline file holds one YAML document; remove the second '---' document");
                return null;
            }
            return root;
        }
        catch (YamlException ex)
        {
            _errors.Add(At(ex.Start), "YAML syntax error: " + StripMarks(ex.Message));
            return null;
        }
        catch (LimitExceeded ex)
        {
            _errors.Add(ex.At, ex.Message);
            return null;
        }
    }

    private YNode ReadNode(IParser parser, int depth)
    {
        if (depth > MaxDepth)
            throw new LimitExceeded(At(parser.Current!.Start), $"nesting is deeper than {MaxDepth} levels");

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                _errors.Add(At(alias.Start), $"unknown alias '*{alias.Value.Value}' (an anchor '&{alias.Value.Value}' must be defined before it is used)");
                return new YInvalid(At(alias.Start));
            }
            Count(target.Weight, alias.Start);
            return target;
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            Count(1, scalar.Start);
            anchor = scalar.Anchor;
            node = ReadScalar(scalar);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            Count(1, seqStart.Start);
            anchor = seqStart.Anchor;
            CheckCollectionTag(seqStart.Tag, "tag:yaml.org,2002:seq", "!!seq", "a sequence", seqStart.Start);
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode(parser, depth + 1));
            node = new YSequence(At(seqStart.Start), items);
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            Count(1, mapStart.Start);
            anchor = mapStart.Anchor;
            CheckCollectionTag(mapStart.Tag, "tag:yaml.org,2002:map", "!!map", "a mapping", mapStart.Start);
            node = ReadMapping(parser, At(mapStart.Start), depth);
        }
        else
        {
            var ev = parser.Current!;
            throw new YamlException(ev.Start, ev.End, $"unexpected {ev.GetType().Name}");
        }

        if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        return node;
    }

    /// <summary>A tag on a sequence or mapping may only restate what it is (!!seq, !!map); anything else, such as a language-specific tag, is an error.</summary>
    private void CheckCollectionTag(TagName tag, string allowed, string shorthand, string what, Mark start)
    {
        if (tag.IsEmpty || tag.Value == allowed || tag.Value == "!") return;
        _errors.Add(At(start), $"unsupported tag '{tag.Value}' on {what} (only {shorthand} is understood there)");
    }

    private YNode ReadScalar(Scalar scalar)
    {
        var at = At(scalar.Start);
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        // Tags pin a scalar's type; only the core-schema ones are meaningful in a pipeline.
        var plain = tag switch
        {
            null => scalar.Style == ScalarStyle.Plain,
            "tag:yaml.org,2002:str" or "!" => false,
            "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" or "tag:yaml.org,2002:bool"
                or "tag:yaml.org,2002:null" or "tag:yaml.org,2002:merge" => true,
            _ => (bool?)null,
        };
        if (plain is null)
        {
            _errors.Add(at, $"unsupported tag '{tag}' (only !!str, !!int, !!float, !!bool and !!null are understood)");
            return new YInvalid(at);
        }
        return new YScalar(at, scalar.Value, plain.Value);
    }

    private YMapping ReadMapping(IParser parser, Position start, int depth)
    {
        var explicitEntries = new List<YEntry>();
        var merges = new List<(int Index, YNode Source, Position At)>();
        var seen = new Dictionary<string, Position>(StringComparer.Ordinal);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyStart = At(parser.Current!.Start);
            var keyNode = ReadNode(parser, depth + 1);
            var value = ReadNode(parser, depth + 1);
            if (keyNode is not YScalar key)
            {
                _errors.Add(keyStart, "keys must be plain strings, not lists or maps");
                continue;
            }
            if (key.IsPlain && key.Value == "<<")
            {
                merges.Add((explicitEntries.Count, value, key.Start));
                continue;
            }
            if (seen.TryGetValue(key.Value, out var first))
            {
                _errors.Add(key.Start, $"duplicate key '{key.Value}' (first at line {first.Line})");
                continue;
            }
            seen[key.Value] = key.Start;
            explicitEntries.Add(new YEntry(key, value));
        }
        return merges.Count == 0 ? new YMapping(start, explicitEntries) : Merge(start, explicitEntries, merges, seen);
    }

    /// <summary>Applies YAML merge keys: explicit keys win over merged ones, earlier merged maps over later.
    /// Merged entries keep their own nodes, so errors in them point where they are written.</summary>
    private YMapping Merge(Position start, List<YEntry> explicitEntries, List<(int Index, YNode Source, Position At)> merges,
        Dictionary<string, Position> seen)
    {
        var taken = new HashSet<string>(seen.Keys, StringComparer.Ordinal);
        var inserted = new Dictionary<int, List<YEntry>>();
        var incomplete = false;
        foreach (var (index, source, at) in merges)
        {
            if (source is YInvalid || source is YSequence seq && seq.Items.Any(i => i is YInvalid))
            {
                incomplete = true; // an unknown alias, already reported
                continue;
            }
            var maps = source switch
            {
                YMapping m => [m],
                YSequence s when s.Items.All(i => i is YMapping) => s.Items.Cast<YMapping>().ToList(),
                _ => null,
            };
            if (maps is null)
            {
                _errors.Add(at, "merge key '<<' needs a map or a list of maps (for example '<<: *defaults')");
                continue;
            }
            var list = inserted.TryGetValue(index, out var l) ? l : inserted[index] = [];
            foreach (var entry in maps.SelectMany(m => m.Entries))
            {
                // Alias reads already counted these nodes; merging only selects among them.
                if (taken.Add(entry.Key.Value)) list.Add(entry);
            }
        }
        var result = new List<YEntry>();
        for (var i = 0; i <= explicitEntries.Count; i++)
        {
            if (inserted.TryGetValue(i, out var add)) result.AddRange(add);
            if (i < explicitEntries.Count) result.Add(explicitEntries[i]);
        }
        return new YMapping(start, result, incomplete);
    }

    private void Count(long nodes, Mark at)
    {
        _expanded += nodes;
        if (_expanded > MaxExpandedNodes)
            throw new LimitExceeded(At(at),
                $"the document expands to more than {MaxExpandedNodes} nodes through aliases or merge keys; refusing it (alias bomb?)");
    }

    private static Position At(Mark mark) => new(Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column));

    private static string StripMarks(string message) => MarkPrefix().Replace(message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
