using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>The paper's findings are one study: on where hard-target and smoothed teachers are read, absent otherwise.</summary>
public sealed class PaperStudyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static PipelineDefinition Pipeline(params double[] alphas)
    {
        var stages = string.Join("", alphas.Select((a, i) => $"  teacher-{i}: {{ kind: train, dataset: fm, model: net, alpha: {a} }}\n"));
        var result = PipelineLoader.LoadFromText($"name: t\ndatasets:\n  fm: {{ kind: fashion-mnist }}\nmodels:\n  net: {{ architecture: alexnet }}\nstages:\n{stages}",
            "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    private List<StageInputRef> Completed(PipelineDefinition pipeline)
    {
        var run = RunDirectory.Open(_temp.Path, pipeline.Name);
        return pipeline.Stages.Select((s, i) =>
        {
            var key = new string((char)('a' + i), 64);
            var manifest = StageManifest.Pending(s.Id, s.Kind, key, [], pipeline.Name).StartAttempt(DateTimeOffset.UnixEpoch)
                .Complete(DateTimeOffset.UnixEpoch, new Dictionary<string, double> { [MetricNames.TestAccuracy] = 0.8 + 0.01 * i }, []);
            return new StageInputRef(s, run.Store.Entry(key), manifest);
        }).ToList();
    }

    [Fact]
    public void A_report_without_a_smoothed_teacher_has_no_finding_rows()
    {
        var pipeline = Pipeline(0, 0);
        var report = new RunReportBuilder(pipeline, Completed(pipeline)).Build("hard only", null);
        var markdown = report.Document.RenderMarkdown();

        Assert.Empty(report.Verdicts);
        Assert.DoesNotContain("Summary of findings", markdown);
        Assert.DoesNotContain("Finding", markdown);
        Assert.Contains("## Teachers", markdown);
    }

    [Fact]
    public void A_hard_and_a_smoothed_teacher_turn_the_paper_study_on()
    {
        var pipeline = Pipeline(0, 0.1);
        var report = new RunReportBuilder(pipeline, Completed(pipeline)).Build("both", null);

        Assert.Equal(["1", "2", "3", "4"], report.Verdicts.Select(v => v.Finding.Id));
        Assert.Contains("Summary of findings", report.Document.RenderMarkdown());
    }
}
