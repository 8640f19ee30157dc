using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;

namespace Distill.Stages.Tests;

/// <summary>A stage's key covers what it reads: a report comparing with an earlier run changes key when that run does.</summary>
public sealed class StageIdentityTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string ReportKey()
    {
        var result = PipelineLoader.LoadFromText("name: after\nstages:\n  report: { kind: report, compare-with: before }\n", "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        using var data = new DataCatalog(result.Pipeline!);
        return new StageIdentities(result.Pipeline!, data, _temp.Path).Of(result.Pipeline!.Stage("report")).Key;
    }

    private void PointEarlierRun(string stage, char key) =>
        RunDirectory.Open(_temp.Path, "before").WritePointer(stage, StagePointer.Create(new string(key, 64), "train", "{}", "", new Dictionary<string, string>(), DateTimeOffset.UnixEpoch));

    [Fact]
    public void A_report_comparing_with_another_run_is_keyed_by_that_runs_results()
    {
        var missing = ReportKey();
        PointEarlierRun("teacher", 'a');
        var first = ReportKey();
        Assert.Equal(first, ReportKey()); // deterministic
        PointEarlierRun("teacher", 'b');
        var changed = ReportKey();

        Assert.NotEqual(missing, first);
        Assert.NotEqual(first, changed);
    }

    [Fact]
    public void A_run_name_that_is_no_pipeline_name_is_refused_at_validation()
    {
        var result = PipelineLoader.LoadFromText("name: after\nstages:\n  report: { kind: report, compare-with: ../elsewhere }\n", "t.yaml", StageKindRegistry.Catalogue);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.ToString().Contains("compare-with"));
    }

    [Fact]
    public void A_stage_resolved_by_its_parent_is_taken_as_given_and_a_mismatch_is_a_bug()
    {
        var result = PipelineLoader.LoadFromText("name: t\nstages:\n  report: { kind: report }\n", "t.yaml", StageKindRegistry.Catalogue);
        var pipeline = result.Pipeline!;
        using var data = new DataCatalog(pipeline);
        var identities = new StageIdentities(pipeline, data, _temp.Path);
        var given = StagePointer.Create(new string('c', 64), "report", "{}", "", new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);

        identities.Known(pipeline.Stage("report"), given);

        Assert.Same(given, identities.Of(pipeline.Stage("report")));
        Assert.Throws<InvalidOperationException>(() => identities.Known(pipeline.Stage("report"), given with { Kind = "train" }));
    }
}
