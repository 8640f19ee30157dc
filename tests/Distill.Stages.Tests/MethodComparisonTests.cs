using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>The report's methods table: each method's students against KD's, seed by seed, beside NLL, ECE and time per epoch.</summary>
public sealed class MethodComparisonTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static PipelineDefinition Pipeline(string methods)
    {
        var result = PipelineLoader.LoadFromText($$"""
            name: t
            datasets:
              fm: { kind: fashion-mnist }
            models:
              net: { architecture: resnet, depth: 8, width: 8 }
            stages:
              teacher: { kind: train, dataset: fm, model: net }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
            {{methods}}
            """, "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    private const string KdAndRkd = """
          kd: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], inputs: { teacher: cache } }
          rkd: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], loss: rkd, teacher-source: live, inputs: { teacher: teacher } }
        """;

    /// <summary>
    /// Every stage completed; students score 80 % (kd) and 81, 82, 83 % (rkd, seeds 1-3), with 2 and 3 s epochs; with
    /// <paramref name="bestValidation"/>, each also 5 points more at its epoch of best validation accuracy.
    /// </summary>
    private List<StageInputRef> Completed(PipelineDefinition pipeline, bool bestValidation = false)
    {
        var run = RunDirectory.Open(_temp.Path, pipeline.Name);
        return pipeline.Stages.Select((s, i) =>
        {
            var key = new string((char)('a' + i), 64);
            bool rkd = s.Id.StartsWith("rkd", StringComparison.Ordinal);
            double accuracy = rkd ? 0.80 + 0.01 * s.Replicate!.Value : 0.80;
            var metrics = new Dictionary<string, double> { [MetricNames.TestAccuracy] = accuracy, [MetricNames.TestNll] = rkd ? 0.6 : 0.5, [MetricNames.TestEce] = rkd ? 0.04 : 0.02 };
            if (bestValidation) metrics[MetricNames.AtBestValidation(MetricNames.TestAccuracy)] = accuracy + 0.05;
            var manifest = StageManifest.Pending(s.Id, s.Kind, key, [], pipeline.Name).StartAttempt(DateTimeOffset.UnixEpoch)
                .WithEpoch(new StageProgress(1, 0), new EpochMetrics(1, new Dictionary<string, double> { [MetricNames.Seconds] = rkd ? 3 : 2 }))
                .Complete(DateTimeOffset.UnixEpoch, metrics, []);
            return new StageInputRef(s, run.Store.Entry(key), manifest);
        }).ToList();
    }

    private string Markdown(PipelineDefinition pipeline) => new RunReportBuilder(pipeline, Completed(pipeline)).Build("methods", null).Document.RenderMarkdown();

    [Fact]
    public void Each_method_is_paired_with_kd_by_seed()
    {
        var rows = Markdown(Pipeline(KdAndRkd)).Split('\n').SkipWhile(l => l != "### Methods").Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();

        // Differences of 1, 2 and 3 points: mean 2, t(0.975, 2) 4.303 x 1 / sqrt 3 = 2.48 either side.
        Assert.Equal("| rkd | rkd | teacher -> net | live | 82.0 % \\[79.5 %, 84.5 %\\] | +2.00 \\[-0.48, +4.48\\] | 0.600 \\[0.600, 0.600\\] | 0.040 \\[0.040, 0.040\\] | 3.00 | 3 |", rows.Single(r => r.StartsWith("| rkd ", StringComparison.Ordinal)));
        Assert.Equal("| kd | kd, beta 1, student at T = 1 (Müller et al. = Chandrasegaran et al. at T = 1) | teacher -> net | cache | 80.0 % \\[80.0 %, 80.0 %\\] | (reference) | 0.500 \\[0.500, 0.500\\] | 0.020 \\[0.020, 0.020\\] | 2.00 | 3 |", rows.Single(r => r.StartsWith("| kd ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_reference_is_plain_kd_whatever_the_order_and_its_variants_name_their_switches()
    {
        // KD's variants declared first: the reference stays the plain forward KL on raw logits.
        var rows = Markdown(Pipeline("""
              jsd: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], divergence: jsd, inputs: { teacher: cache } }
              standardized: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], logit-standardization: true, inputs: { teacher: cache } }
              dkd-standardized: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], loss: dkd, logit-standardization: true, inputs: { teacher: cache } }
            """ + "\n" + KdAndRkd)).Split('\n').SkipWhile(l => l != "### Methods").Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();

        Assert.Contains("| (reference) |", rows.Single(r => r.StartsWith("| kd ", StringComparison.Ordinal)));
        Assert.Contains("| kd, beta 1, student at T = 1, JSD (beta 0.5) |", rows.Single(r => r.StartsWith("| jsd ", StringComparison.Ordinal)));
        Assert.Contains("| kd, beta 1, student at T = 1, logit standardization |", rows.Single(r => r.StartsWith("| standardized ", StringComparison.Ordinal)));
        Assert.Contains("| dkd, logit standardization |", rows.Single(r => r.StartsWith("| dkd-standardized ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_reference_is_the_kd_student_that_started_from_its_own_initialisation()
    {
        var rows = Markdown(Pipeline(KdAndRkd + "\n  hinted: { kind: distill, dataset: fm, model: net, seeds: [1, 2, 3], inputs: { teacher: cache, init: kd-seed1 } }\n"))
            .Split('\n').SkipWhile(l => l != "### Methods").Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();

        Assert.Contains("| (reference) |", rows.Single(r => r.StartsWith("| kd ", StringComparison.Ordinal)));
        Assert.Contains("kd, beta 1, student at T = 1, from kd |", rows.Single(r => r.StartsWith("| hinted ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Both_epoch_rules_and_the_published_numbers_stand_beside_each_other_labelled()
    {
        var published = _temp.Combine("published.csv");
        File.WriteAllText(published, "setting,top1,rule,source\nkd,70.66,last epoch,RepDistiller README\nrkd,71.0,best test epoch,elsewhere\n");
        var pipeline = Pipeline(KdAndRkd);
        var markdown = new RunReportBuilder(pipeline, Completed(pipeline, bestValidation: true))
            .Build("methods", null, PublishedResults.Read(published)).Document.RenderMarkdown();
        var lines = markdown.Split('\n').SkipWhile(l => l != "### Methods").ToList();
        Assert.StartsWith("| Student | Method | Teacher -> student | Teacher from | Test accuracy | Test accuracy at best validation | vs kd (paired) |", lines.First(l => l.StartsWith("| Student", StringComparison.Ordinal)));
        Assert.EndsWith("| 85.0 % \\[85.0 %, 85.0 %\\] | (reference) | 0.500 \\[0.500, 0.500\\] | 0.020 \\[0.020, 0.020\\] | 2.00 | 3 | 70.66 (last epoch) |",
            lines.Single(l => l.StartsWith("| kd ", StringComparison.Ordinal)));
        Assert.EndsWith("| 71.00 (best test epoch) |", lines.Single(l => l.StartsWith("| rkd ", StringComparison.Ordinal)));
        Assert.Contains("\"Test accuracy\" is the last epoch's", markdown);
        Assert.Contains("Published: top-1 % as published, from RepDistiller README (last epoch); elsewhere (best test epoch).", markdown);
    }

    [Fact]
    public void A_published_file_in_another_form_is_refused_with_its_line()
    {
        var file = _temp.Combine("bad.csv");
        File.WriteAllText(file, "setting,top1,rule,source\nkd,seventy,last epoch,README\n");
        Assert.Contains("bad.csv:2: expected setting,top1,rule,source", Assert.Throws<InvalidDataException>(() => PublishedResults.Read(file)).Message);
    }

    [Fact]
    public void A_run_with_one_method_has_no_methods_table()
    {
        Assert.DoesNotContain("### Methods", Markdown(Pipeline("  kd: { kind: distill, dataset: fm, model: net, inputs: { teacher: cache } }\n")));
    }
}
