using Distill.EndToEnd.Tests.Support;

namespace Distill.EndToEnd.Tests;

/// <summary>Every command refuses bad input in one line that names the problem (and what exists), with exit 1 or 2, writing nothing.</summary>
public sealed class CommandInputTests : IDisposable
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Database=distill";
    private readonly TempFolder _temp = new();

    public CommandInputTests()
    {
        // One run, as `distill run` leaves it: a folder holding the pipeline copy.
        Directory.CreateDirectory(_temp.Combine("runs", "smoke", "stages"));
        File.Copy(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"), _temp.Combine("runs", "smoke", "pipeline.yaml"));
    }

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, int, string> Cases() => new()
    {
        { "compare smoke chaos --runs {runs}", 2, "error: no run 'chaos' in {runs} (runs there: smoke)" },
        { "status chaos --runs {runs}", 1, "error: no run 'chaos' in {runs} (runs there: smoke)" },
        { "cancel chaos --root {root}", 1, "error: nothing to cancel: no queued or running pipeline named 'chaos'" },
        { "gc --runs {runs} --keep-days -1", 2, "error: give --keep-days N (N >= 0)" },
        { "gc --runs {runs}", 2, "error: give --keep-days N (N >= 0) or --max-size SIZE" },
        { "plan {root}/missing.yaml", 2, "pipeline file not found" },
        { "run {root}/missing.yaml --runs {runs}", 2, "pipeline file not found" },
        { $"status --runs {{runs}} --engine postgres --connection {NoServer}", 1, "error: cannot connect to PostgreSQL (host 127.0.0.1, port 1, database distill)" },
        { $"cancel smoke --root {{root}} --engine postgres --connection {NoServer}", 1, "error: cannot connect to PostgreSQL" },
        { $"submit {{smoke}} --root {{root}} --engine postgres --connection {NoServer}", 1, "error: cannot connect to PostgreSQL" },
        { $"dashboard --root {{root}} --engine postgres --connection {NoServer}", 1, "error: cannot connect to PostgreSQL" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_one_line_and_writes_nothing(string command, int exitCode, string message)
    {
        string Fill(string text) => text.Replace("{runs}", _temp.Combine("runs")).Replace("{root}", _temp.Path)
            .Replace("{smoke}", Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"));
        var before = Directory.EnumerateFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Order().ToList();

        var (code, output) = DistillCli.Run(TimeSpan.FromSeconds(60), Fill(command).Split(' '));

        Assert.Equal(exitCode, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{output}");
        Assert.Contains(Fill(message), lines[0]);
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Order().ToList());
    }
}
