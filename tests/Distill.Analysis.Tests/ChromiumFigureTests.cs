using System.Diagnostics;
using System.Text.RegularExpressions;
using Distill.Analysis.Calibration;
using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;
using SkiaSharp;

namespace Distill.Analysis.Tests;

/// <summary>
/// The report's figures as a reader sees them: a real Chromium (Debian's, installed by tools/setup.sh --tests) opens the HTML
/// report and shows every figure at the size it was drawn, and a screenshot of a chart is the chart's own pixels.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class ChromiumFigureTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-chromium-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static byte[] InformationChart() => LineChart.Render("Mutual information", "Epoch", "I(X; Y) (nats)",
        [
            new LineSeries("alpha = 0", [1, 2, 3, 4], [0.80, 0.76, 0.74, 0.73]) { Lower = [0.75, 0.72, 0.70, 0.69], Upper = [0.85, 0.80, 0.78, 0.77] },
            new LineSeries("alpha = 0.1", [1, 2, 3, 4], [0.78, 0.72, 0.70, 0.70]),
        ],
        [new ReferenceLine("log N", Math.Log(600)), new ReferenceLine("log 2", Math.Log(2))], new FigureSize(640, 400), fitToData: true);

    private static byte[] Reliability()
    {
        var rng = new Random(1);
        var logits = new LogitMatrix(TestData.RandomLogits(rng, 300, 4, 3.0), 4);
        return ReliabilityDiagramPlot.Render(CalibrationMetrics.Reliability(logits, TestData.RandomLabels(rng, 300, 4)), "Reliability", new FigureSize(500, 400));
    }

    [Fact]
    public void Chromium_shows_every_figure_of_the_html_report_at_its_drawn_size()
    {
        var document = new ReportDocument("figures")
            .AddFigure("mi", InformationChart(), "Mutual information.", null)
            .AddFigure("reliability", Reliability(), "Reliability diagram.", "a finding");
        // The report as written, plus a script that lists what the browser decoded for each image.
        var html = document.RenderHtml().Replace("</body>",
            "<script>window.addEventListener('load', () => { const p = document.createElement('pre'); p.id = 'decoded'; " +
            "p.textContent = [...document.images].map(i => i.complete + ' ' + i.naturalWidth + 'x' + i.naturalHeight).join(';'); document.body.append(p); });</script></body>");
        var page = Path.Combine(_folder, "report.html");
        File.WriteAllText(page, html);

        var dom = Chromium("--dump-dom", new Uri(page).AbsoluteUri);

        var decoded = Decoded().Match(dom);
        Assert.True(decoded.Success, $"Chromium's page has no decoded-image list:\n{dom[..Math.Min(dom.Length, 2000)]}");
        Assert.Equal("true 640x400;true 500x400", decoded.Groups[1].Value);
    }

    [Fact]
    public void A_screenshot_of_a_chart_is_the_charts_own_pixels_and_not_a_blank()
    {
        var png = InformationChart();
        var page = Path.Combine(_folder, "chart.html");
        File.WriteAllText(page, $"<html><body style=\"margin:0\"><img style=\"display:block\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"></body></html>");
        var shot = Path.Combine(_folder, "shot.png");

        Chromium($"--screenshot={shot}", "--window-size=640,400", "--hide-scrollbars", "--force-device-scale-factor=1", new Uri(page).AbsoluteUri);

        using var drawn = SKBitmap.Decode(png);
        using var seen = SKBitmap.Decode(shot);
        Assert.Equal((640, 400), (seen.Width, seen.Height));
        double difference = 0, variance = 0, mean = 0;
        var pixels = 0;
        for (int y = 0; y < 400; y += 2)
            for (int x = 0; x < 640; x += 2, pixels++)
            {
                var (a, b) = (drawn.GetPixel(x, y), seen.GetPixel(x, y));
                difference += Math.Abs(a.Red - b.Red) + Math.Abs(a.Green - b.Green) + Math.Abs(a.Blue - b.Blue);
                double grey = (b.Red + b.Green + b.Blue) / 3.0;
                (mean, variance) = (mean + grey, variance + grey * grey);
            }
        mean /= pixels;
        double spread = Math.Sqrt(variance / pixels - mean * mean);
        Assert.True(difference / (3.0 * pixels) < 2, $"the screenshot differs from the chart by {difference / (3.0 * pixels):F2} levels per channel");
        Assert.True(spread > 10, $"the screenshot is nearly uniform (grey spread {spread:F1})");
    }

    [GeneratedRegex("<pre id=\"decoded\">([^<]*)</pre>")]
    private static partial Regex Decoded();

    /// <summary>Runs headless Chromium with its own profile folder; fails with its output when it does not exit 0.</summary>
    private string Chromium(params string[] arguments)
    {
        var executable = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed (tools/setup.sh --tests installs Debian's chromium)");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={Path.Combine(_folder, "profile")}", "--virtual-time-budget=5000" }.Concat(arguments))
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(entireProcessTree: true); throw new TimeoutException("Chromium did not finish within 60 s"); }
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {errors.Result}");
        return output.Result;
    }
}
