using System.Text.RegularExpressions;

namespace Distill.Pipelines.Tests;

/// <summary>Every file in Corpus/invalid states its expected errors in leading "# expect: LINE:COL: text"
/// comments; the loader must report exactly those (same places, messages containing the text), no more.</summary>
public partial class CorpusTests
{
    private static string CorpusDir(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", kind);

    public static TheoryData<string> InvalidFiles() => Files("invalid");
    public static TheoryData<string> ValidFiles() => Files("valid");

    private static TheoryData<string> Files(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(CorpusDir(kind), "*.yaml").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void Corpus_has_at_least_thirty_invalid_files()
    {
        Assert.True(InvalidFiles().Count >= 30, $"only {InvalidFiles().Count} invalid corpus files");
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Invalid_file_reports_exactly_its_expected_errors(string file)
    {
        var path = Path.Combine(CorpusDir("invalid"), file);
        var expected = File.ReadLines(path).TakeWhile(l => l.StartsWith('#'))
            .Select(l => ExpectLine().Match(l)).Where(m => m.Success)
            .Select(m => (Line: int.Parse(m.Groups[1].Value), Column: int.Parse(m.Groups[2].Value), Text: m.Groups[3].Value.Trim()))
            .ToList();
        Assert.NotEmpty(expected);

        var result = PipelineLoader.Load(path, StageKindRegistry.Catalogue);

        Assert.Null(result.Pipeline);
        var actual = result.Errors.Select(e => e.ToString()).ToList();
        var report = "actual errors:\n" + string.Join("\n", actual);
        Assert.True(expected.Count == result.Errors.Count, $"expected {expected.Count} error(s); {report}");
        foreach (var (line, column, text) in expected)
            Assert.True(result.Errors.Any(e => e.Line == line && e.Column == column && e.Message.Contains(text, StringComparison.Ordinal)),
                $"no error at {line}:{column} containing \"{text}\"; {report}");
        Assert.All(result.Errors, e => Assert.Equal($"{path}:{e.Line}:{e.Column}: {e.Message}", e.ToString()));
        Assert.All(result.Errors, e => Assert.DoesNotContain('\n', e.ToString()));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Valid_file_loads_without_errors(string file)
    {
        var result = PipelineLoader.Load(Path.Combine(CorpusDir("valid"), file), StageKindRegistry.Catalogue);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.NotEmpty(result.Pipeline!.Stages);
    }

    [GeneratedRegex(@"^#\s*expect:\s*(\d+):(\d+):\s*(.+)$")]
    private static partial Regex ExpectLine();
}
