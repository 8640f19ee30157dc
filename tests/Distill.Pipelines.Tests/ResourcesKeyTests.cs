using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Tests;

/// <summary>`resources:`, what a batch scheduler gives a stage: on stages, and at the top as every stage's defaults.</summary>
public sealed class ResourcesKeyTests
{
    private static string Pipeline(string top, string stage) => TestPipelines.Header.Replace("seed: 7\n", "seed: 7\n" + top) + $$"""
          teacher:
            kind: train
            dataset: fm
            model: net
        {{stage}}
          report: { kind: report, inputs: { all: "*" } }
        """;

    [Fact]
    public void A_stage_sets_what_it_needs_and_the_pipeline_fills_in_the_rest()
    {
        var p = TestPipelines.Load(Pipeline("resources: { memory: 8G, partition: gpu, account: ml-lab }\n",
            "    resources: { cpus: 8, gpus: 1, time: \"1-12:00:00\", sbatch-flags: \"--constraint=a100 --exclusive\" }"));

        var teacher = p.Stage("teacher").Resources.Over(p.Resources);
        Assert.Equal(new StageResources(8, 1, "8G", "1-12:00:00", "gpu", "ml-lab", null, "--constraint=a100 --exclusive"), teacher);
        Assert.Equal(new StageResources(null, null, "8G", null, "gpu", "ml-lab"), p.Stage("report").Resources.Over(p.Resources));
    }

    [Fact]
    public void Resources_are_not_part_of_a_stage_key()
    {
        var without = TestPipelines.Load(Pipeline("", ""));
        var with = TestPipelines.Load(Pipeline("resources: { cpus: 4 }\n", "    resources: { gpus: 2, qos: high }"));

        Assert.Equal(without.Stage("teacher").CanonicalJson(without), with.Stage("teacher").CanonicalJson(with));
        Assert.DoesNotContain("resources", with.Stage("teacher").CanonicalJson(with));
    }

    [Theory]
    [InlineData("    resources: { cpus: 0 }", "cpus")]
    [InlineData("    resources: { gpus: -1 }", "gpus")]
    [InlineData("    resources: { memory: 4 GB }", "memory")]
    [InlineData("    resources: { time: 2h }", "time")]
    [InlineData("    resources: { partition: \"a b\" }", "partition")]
    [InlineData("    resources: { sbatch-flags: \"rm -rf\" }", "sbatch-flags")]
    [InlineData("    resources: { gpu: 1 }", "unknown key 'gpu'")]
    [InlineData("    resources: 4", "resources")]
    public void A_bad_value_is_a_located_error(string stage, string message)
    {
        var errors = TestPipelines.Errors(Pipeline("", stage));
        Assert.True(errors.Any(e => e.Message.Contains(message, StringComparison.Ordinal) && e.Line == 13), string.Join("\n", errors));
    }

    [Fact]
    public void A_bad_pipeline_default_is_a_located_error()
    {
        var errors = TestPipelines.Errors(Pipeline("resources: { cpus: two }\n", ""));
        Assert.True(errors.Any(e => e.Message.Contains("cpus", StringComparison.Ordinal) && e.Line == 3), string.Join("\n", errors));
    }
}
