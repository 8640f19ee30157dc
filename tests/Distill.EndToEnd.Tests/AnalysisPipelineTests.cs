using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Distill.EndToEnd.Tests.Support;
using Distill.Learning.Data;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>Runs the analysis pipeline (two teachers, caches, calibration, projection, students, report) once for all tests.</summary>
public sealed class AnalysisRun : IDisposable
{
    private readonly TempFolder _temp = new();

    public AnalysisRun()
    {
        var (code, output) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", PipelinePath, "--runs", _temp.Combine("runs"));
        Output = output;
        ExitCode = code;
        RunDirectory = _temp.Combine("runs", "analysis");
    }

    public static string PipelinePath => DistillCli.TestPipeline("analysis.yaml");

    public int ExitCode { get; }
    public string Output { get; }
    public string RunDirectory { get; }
    public string Temp => _temp.Path;

    public string Outputs(string stageId) => RunResults.Stage(RunDirectory, stageId).OutputsPath;

    public StageManifest Manifest(string stageId) => RunResults.Manifest(RunDirectory, stageId);

    public void Dispose() => _temp.Dispose();
}

[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class AnalysisPipelineTests(AnalysisRun run, ITestOutputHelper output) : IClassFixture<AnalysisRun>
{
    private const int Bins = 15;
    private const string Chromium = "/usr/bin/chromium";

    private void AssertRunSucceeded()
    {
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}:\n{run.Output}");
        Assert.All(RunResults.Fingerprint(run.RunDirectory).Values, v => Assert.StartsWith("Completed|", v));
    }

    /// <summary>The labels of one split as the pipeline's dataset prepares them.</summary>
    private static int[] Labels(DataSplit split)
    {
        using var catalog = new DataCatalog(PipelineRunner.Load(AnalysisRun.PipelinePath));
        return catalog.Get("fmnist").Prepared.Get(split).Labels.Select(l => (int)l).ToArray();
    }

    private static double[][] ReadLogits(string path, int rows)
    {
        using var file = NpyFile.Open(path);
        Assert.True(file.Rows >= rows, $"{path} has {file.Rows} rows, fewer than the {rows} labels");
        return Enumerable.Range(0, rows).Select(r => file.GetRows(r, 1).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }

    /// <summary>ECE written out the long way: max softmax probability, bin ceil(conf * M), |accuracy - confidence| weighted by bin size.</summary>
    private static double LoopEce(double[][] logits, int[] labels, double temperature)
    {
        var count = new double[Bins];
        var confidence = new double[Bins];
        var correct = new double[Bins];
        for (int i = 0; i < logits.Length; i++)
        {
            var z = logits[i].Select(v => v / temperature).ToArray();
            double max = z.Max();
            double sum = z.Sum(v => Math.Exp(v - max));
            int prediction = Array.IndexOf(z, max);
            double p = 1 / sum; // exp(max - max) / sum
            int bin = Math.Clamp((int)Math.Ceiling(p * Bins), 1, Bins) - 1;
            count[bin]++;
            confidence[bin] += p;
            if (prediction == labels[i]) correct[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < Bins; b++)
            if (count[b] > 0) ece += count[b] / logits.Length * Math.Abs(correct[b] / count[b] - confidence[b] / count[b]);
        return ece;
    }

    private static double Nll(double[][] logits, int[] labels, double temperature)
    {
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            var z = logits[i].Select(v => v / temperature).ToArray();
            double max = z.Max();
            total += max + Math.Log(z.Sum(v => Math.Exp(v - max))) - z[labels[i]];
        }
        return total / logits.Length;
    }

    [Fact]
    public void A_teacher_evaluated_every_second_epoch_has_held_out_figures_at_epochs_2_and_3_and_its_probe_at_every_epoch()
    {
        AssertRunSucceeded();
        var epochs = run.Manifest("teacher-0.0").EpochMetrics;
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));
        Assert.Equal([2, 3], epochs.Where(e => e.Values.ContainsKey(MetricNames.TestAccuracy)).Select(e => e.Epoch));
        Assert.Equal([2, 3], epochs.Where(e => e.Values.ContainsKey(MetricNames.ValidationAccuracy)).Select(e => e.Epoch));
        Assert.All(epochs, e => Assert.True(e.Values.ContainsKey(MetricNames.MutualInformation)));
        Assert.Equal(epochs[^1].Values[MetricNames.TestAccuracy], run.Manifest("teacher-0.0").Metrics[MetricNames.TestAccuracy]);
    }

    [Theory]
    [InlineData("calibrate-0.0", "cache-0.0")]
    [InlineData("calibrate-0.1", "cache-0.1")]
    public void CalibrateEceEqualsALoopOverTheCachedLogitsAndTheFittedTemperatureMatchesAGridSearch(string calibrate, string cache)
    {
        AssertRunSucceeded();
        var metrics = run.Manifest(calibrate).Metrics;

        var testLabels = Labels(DataSplit.Test);
        var test = ReadLogits(Path.Combine(run.Outputs(cache), "logits-test.npy"), testLabels.Length);
        Assert.Equal(LoopEce(test, testLabels, 1.0), metrics["ece"], 9);
        Assert.Equal(LoopEce(test, testLabels, metrics["temperature"]), metrics["ece_scaled"], 9);
        Assert.Equal(Nll(test, testLabels, 1.0), metrics["nll"], 6);
        double accuracy = test.Select((z, i) => Array.IndexOf(z, z.Max()) == testLabels[i] ? 1.0 : 0.0).Average();
        Assert.Equal(accuracy, metrics["accuracy"], 12);

        // T is fitted on the validation split: a fine log-spaced grid over [0.05, 20] must land next to it.
        var validationLabels = Labels(DataSplit.Validation);
        var validation = ReadLogits(Path.Combine(run.Outputs(cache), "logits-validation.npy"), validationLabels.Length);
        var grid = Enumerable.Range(0, 3001).Select(i => 0.05 * Math.Pow(400, i / 3000.0));
        double best = grid.MinBy(t => Nll(validation, validationLabels, t));
        output.WriteLine($"{calibrate}: ECE {metrics["ece"]:F4} -> {metrics["ece_scaled"]:F4}; T fitted {metrics["temperature"]:F4}, grid {best:F4}");
        Assert.InRange(metrics["temperature"] / best, 0.99, 1.01);
        Assert.True(Nll(validation, validationLabels, metrics["temperature"]) <= Nll(validation, validationLabels, best) + 1e-9);

        var json = File.ReadAllText(Path.Combine(run.Outputs(calibrate), "calibration.json"));
        Assert.Contains("\"bins\"", json);
        foreach (var png in new[] { "reliability.png", "reliability-scaled.png" })
            Assert.True(Distill.Analysis.Plotting.PngImage.HasPngSignature(File.ReadAllBytes(Path.Combine(run.Outputs(calibrate), png))), png);
        // The teacher's alpha is the pipeline's (lineage), recorded in calibration.json, not copied into the metrics.
        Assert.Equal(0.1 * (calibrate == "calibrate-0.1" ? 1 : 0), System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("alpha").GetDouble(), 12);
        Assert.False(metrics.ContainsKey("alpha"));
    }

    [Fact]
    public void ProjectionCsvHasOneRowPerClassExampleSplitAndModel()
    {
        AssertRunSucceeded();
        var lines = File.ReadAllLines(Path.Combine(run.Outputs("project"), "projection.csv"));
        Assert.Equal("model,split,class,x,y", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        const int classes = 3, examples = 6, splits = 2, models = 2;
        Assert.Equal(classes * examples * splits * models, rows.Count);
        Assert.Equal(new[] { "teacher-0.0", "teacher-0.1" }, rows.Select(r => r[0]).Distinct().Order().ToArray());
        Assert.Equal(new[] { "train", "validation" }, rows.Select(r => r[1]).Distinct().Order().ToArray());
        Assert.Equal(new[] { "Pullover", "T-shirt/top", "Trouser" }, rows.Select(r => r[2]).Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.All(rows, r => Assert.True(double.IsFinite(double.Parse(r[3], CultureInfo.InvariantCulture)) && double.IsFinite(double.Parse(r[4], CultureInfo.InvariantCulture))));
        Assert.All(rows.GroupBy(r => (r[0], r[1], r[2])), g => Assert.Equal(examples, g.Count()));

        var metrics = run.Manifest("project").Metrics;
        foreach (var model in new[] { "teacher-0.0", "teacher-0.1" })
        {
            Assert.InRange(metrics[$"tightness_{model}"], 0, 100);
            Assert.True(File.Exists(Path.Combine(run.Outputs("project"), $"projection-{model}-train.png")));
        }
        Assert.True(File.Exists(Path.Combine(run.Outputs("project"), "projection-grid.png")));
    }

    [Fact]
    public void ReportIsSelfContainedAndEveryFigureLoadsInHeadlessChromium()
    {
        AssertRunSucceeded();
        var report = run.Manifest("report");
        var html = File.ReadAllText(Path.Combine(run.Outputs("report"), "report.html"));
        int figures = (int)report.Metrics["figures"];
        // 4 reliability diagrams, the projection grid, accuracy vs T and vs gamma, mutual information, two training-curve charts.
        Assert.Equal(10, figures);
        Assert.Equal(figures, Regex.Matches(html, "<img ").Count);
        Assert.Equal(figures, Regex.Matches(html, "<img src=\"data:image/png;base64,").Count);
        Assert.DoesNotMatch("(src|href)=\"(https?:|file:|//)", html);
        // Both studies are on: the paper's four findings, and the compatibility study's three (its students at T = 1 pair up).
        Assert.Equal(7, report.Metrics["findings_total"]);
        Assert.InRange(report.Metrics["findings_agree"], 0, 7);
        // Each finding's paragraph once, beside its own exhibit: the grid, Table 3, Fig. 5, the MI chart, the Delta table,
        // the diffusion table; C2 has none here (one temperature pairs up), so it stands in its study's summary only.
        foreach (var finding in new[] { "1", "2", "3", "4", "C1", "C3" })
            Assert.Single(Regex.Matches(html, $"<strong>Finding:</strong> Finding {finding} \\("));
        Assert.Empty(Regex.Matches(html, "<strong>Finding:</strong> Finding C2 \\("));
        Assert.Contains("<td>C2</td>", html);

        // The students' diffusion, measured on Fashion-MNIST's declared pairs (Shirt 6 / T-shirt/top 0 the first).
        foreach (var student in new[] { "student-smooth", "student-T1-alpha0.0" })
        {
            var metrics = run.Manifest(student).Metrics;
            Assert.InRange(metrics["diffusion_similar"], 0.01, 100);
            Assert.InRange(metrics["diffusion_dissimilar"], 0.01, 100);
            Assert.InRange(metrics["diffusion_6_0"], 0.01, 100);
        }

        var markdown = File.ReadAllText(Path.Combine(run.Outputs("report"), "report.md"));
        var linked = Regex.Matches(markdown, @"!\[[^\]]*\]\(([^)]+\.png)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(figures, linked.Count);
        Assert.All(linked, png => Assert.True(File.Exists(Path.Combine(run.Outputs("report"), png)), png));

        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run tools/setup.sh --tests (it installs chromium)");
        var copy = Path.Combine(run.Temp, "report-check.html");
        File.WriteAllText(copy, html.Replace("</body>",
            "<script>window.addEventListener('load', () => { const images = [...document.images]; " +
            "document.body.dataset.images = images.length; " +
            "document.body.dataset.loaded = images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0); });</script>\n</body>"));
        var dom = RunChromium("--virtual-time-budget=5000", "--dump-dom", new Uri(copy).AbsoluteUri);
        Assert.Contains($"data-images=\"{figures}\"", dom);
        Assert.Contains("data-loaded=\"true\"", dom);

        var screenshot = Path.Combine(run.Temp, "report.png");
        RunChromium("--hide-scrollbars", "--window-size=1280,4000", $"--screenshot={screenshot}", new Uri(Path.Combine(run.Outputs("report"), "report.html")).AbsoluteUri);
        Assert.True(Distill.Analysis.Plotting.PngImage.HasPngSignature(File.ReadAllBytes(screenshot)), "the screenshot is not a PNG");
    }

    private string RunChromium(params string[] arguments)
    {
        var info = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(run.Temp, "chromium-profile")}" }.Concat(arguments))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 90 s");
        }
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}:\n{stderr.Result}");
        return stdout;
    }
}
