using System.Text.RegularExpressions;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// Text edits on pipeline YAML files, for running full-size pipelines at toy scale. Every edit must
/// match a stated number of times, so a change to the pipeline file that an edit no longer fits fails
/// the test loudly instead of silently running something else.
/// </summary>
public static class PipelineText
{
    /// <summary>One edit: a regular expression (multiline mode), its replacement, how many matches are expected.</summary>
    public sealed record Edit(string Pattern, string Replacement, int Count = 1)
    {
        public override string ToString() => $"{Pattern} -> {Replacement}";
    }

    /// <summary>Sets the value of an anchored scalar or flow list, <c>&amp;name value  # comment</c>, keeping the comment.</summary>
    public static Edit Anchor(string name, string value) =>
        new($@"(?<=&{Regex.Escape(name)} )[^#\n]*?(?=[ \t]*(#|$))", value);

    /// <summary>Replaces a whole line (leading indentation kept) that reads exactly <paramref name="line"/> after the indentation.</summary>
    public static Edit Line(string line, string replacement, int count = 1) =>
        new($@"(?<=^[ \t]*){Regex.Escape(line)}[ \t]*$", replacement, count);

    public static string Apply(string text, IEnumerable<Edit> edits)
    {
        foreach (var edit in edits)
        {
            var regex = new Regex(edit.Pattern, RegexOptions.Multiline);
            var found = regex.Matches(text).Count;
            Assert.True(found == edit.Count, $"edit {edit} matched {found} times, expected {edit.Count}");
            text = regex.Replace(text, edit.Replacement.Replace("$", "$$"));
        }
        return text;
    }
}
