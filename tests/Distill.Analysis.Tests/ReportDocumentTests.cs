using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;

namespace Distill.Analysis.Tests;

public sealed class ReportDocumentTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "distill-analysis-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private static byte[] SmallPng(double slope) => LineChart.Render(
        "Curve", "x", "y", [new LineSeries("s", [0, 1, 2], [0, slope, 2 * slope])], size: new FigureSize(200, 150));

    private static ReportDocument Sample(byte[] first, byte[] second) => new ReportDocument("Label smoothing <report> & more")
        .AddHeading("Calibration")
        .AddParagraph("ECE < 0.03 & \"quoted\" <script>alert(1)</script>")
        .AddTable(["Model", "ECE"], [["alpha = 0", "0.150"], ["a|b <i>", "0.024"]], "Table 3 *reproduced*")
        .AddFigure("reliability baseline", first, "Reliability <baseline>", "Baseline is over-confident & smoothing fixes it.")
        .AddFigure("mi", second, "MI per epoch", "Smoothing erases information.");

    [Fact]
    public void A_finding_is_stated_once_beside_the_figure_or_named_table_it_rests_on()
    {
        var document = new ReportDocument("r")
            .AddTable(["a"], [["1"]], "unnamed")
            .AddTable(["b"], [["2"]], "Table 3", name: "table-3")
            .AddFigure("mutual information", SmallPng(1), "MI per epoch", null);

        Assert.True(document.StateFinding("table-3", "Finding 2 (calibration): agrees."));
        Assert.True(document.StateFinding("mutual information", "Finding 4 (information): inconclusive."));
        Assert.False(document.StateFinding("table-3", "Finding 9 (again): agrees.")); // an exhibit states one finding
        Assert.False(document.StateFinding("no-such-figure", "Finding 1 (clusters): agrees."));
        Assert.Throws<ArgumentException>(() => document.AddTable(["c"], [["3"]], null, name: "table-3"));

        string md = document.RenderMarkdown(), html = document.RenderHtml();
        Assert.Equal(1, CountOf(md, "**Finding:** Finding 2 (calibration): agrees."));
        Assert.True(md.IndexOf("| 2 |", StringComparison.Ordinal) < md.IndexOf("**Finding:** Finding 2", StringComparison.Ordinal));
        Assert.True(md.IndexOf("](mutual-information.png)", StringComparison.Ordinal) < md.IndexOf("**Finding:** Finding 4", StringComparison.Ordinal));
        Assert.Equal(1, CountOf(html, "<strong>Finding:</strong> Finding 2 (calibration): agrees."));
        Assert.Equal(2, CountOf(html, "<p class=\"finding\">"));
        Assert.DoesNotContain("Finding 9", md);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void Html_embeds_every_figure_as_a_data_uri_and_escapes_text()
    {
        byte[] first = SmallPng(1), second = SmallPng(2);
        string html = Sample(first, second).RenderHtml();

        Assert.Contains("data:image/png;base64," + Convert.ToBase64String(first), html);
        Assert.Contains("data:image/png;base64," + Convert.ToBase64String(second), html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("Label smoothing &lt;report&gt; &amp; more", html);
        Assert.Contains("&quot;quoted&quot;", html);
        Assert.Contains("<th>ECE</th>", html);
        Assert.Contains("Baseline is over-confident &amp; smoothing fixes it.", html);
        // Self-contained: no external resources.
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<link", html);
    }

    [Fact]
    public void Markdown_references_png_files_written_beside_it()
    {
        byte[] first = SmallPng(1), second = SmallPng(2);
        ReportDocument report = Sample(first, second);
        string mdPath = report.WriteMarkdown(Path.Combine(_folder, "report.md"));
        string md = File.ReadAllText(mdPath);

        Assert.Contains("](reliability-baseline.png)", md);
        Assert.Contains("](mi.png)", md);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(_folder, "reliability-baseline.png")));
        Assert.Equal(second, File.ReadAllBytes(Path.Combine(_folder, "mi.png")));
        Assert.Contains("## Calibration", md);
        Assert.Contains("| a\\|b &lt;i> | 0.024 |", md);
        Assert.DoesNotContain("base64", md);
    }

    [Fact]
    public void Invalid_input_is_rejected()
    {
        var report = new ReportDocument("r");
        byte[] png = SmallPng(1);
        report.AddFigure("fig", png, "c", "f");
        Assert.Throws<ArgumentException>(() => report.AddFigure("fig", png, "c", "f"));
        Assert.Throws<ArgumentException>(() => report.AddFigure("other", [1, 2, 3], "c", "f"));
        Assert.Throws<ArgumentException>(() => report.AddTable(["a", "b"], [["only one"]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => report.AddHeading("h", 1));
    }
}
