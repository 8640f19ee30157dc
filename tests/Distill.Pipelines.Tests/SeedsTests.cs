namespace Distill.Pipelines.Tests;

/// <summary>`seeds:` repeats a stage once per replicate seed; stages of one seed are paired (same random streams).</summary>
public sealed class SeedsTests
{
    private static PipelineDefinition Load(string stages) => TestPipelines.Load(TestPipelines.Header + stages);

    [Fact]
    public void Seeds_vary_fastest_after_the_matrix_and_end_each_templated_id()
    {
        var p = Load("""
              teacher:
                kind: train
                matrix: { alpha: [0, 0.1] }
                seeds: [1, 2, 3]
                id: "teacher-${alpha}"
                dataset: fm
                model: net
                alpha: ${alpha}
            """);

        Assert.Equal(["teacher-0-seed1", "teacher-0-seed2", "teacher-0-seed3", "teacher-0.1-seed1", "teacher-0.1-seed2", "teacher-0.1-seed3"],
            p.Stages.Select(s => s.Id));
        Assert.Equal([1, 2, 3, 1, 2, 3], p.Stages.Select(s => s.Replicate!.Value));
        Assert.Equal(0.1, p.Stage("teacher-0.1-seed2").Parameters.GetDouble("alpha"));
    }

    [Fact]
    public void Seeds_alone_expand_a_stage_and_seed_is_a_variable_for_inputs()
    {
        var p = Load("""
              teacher:
                kind: train
                seeds: [4, 5]
                dataset: fm
                model: net
              cache:
                kind: cache-logits
                seeds: [4, 5]
                id: "cache-${seed}"
                inputs: { teacher: "teacher-seed${seed}" }
            """);

        Assert.Equal(["teacher-seed4", "teacher-seed5"], p.Stages.Where(s => s.BaseName == "teacher").Select(s => s.Id));
        Assert.Equal(["teacher-seed5"], p.Stage("cache-5").Inputs["teacher"]);
    }

    [Fact]
    public void A_replicate_is_in_the_stage_key_and_a_stage_without_seeds_keeps_its_key()
    {
        const string plain = """
              teacher:
                kind: train
                dataset: fm
                model: net
            """;
        var without = Load(plain);
        var with = Load(plain + "\n    seeds: [7]\n");

        Assert.Null(without.Stage("teacher").Replicate);
        Assert.DoesNotContain("replicate", without.Stage("teacher").CanonicalJson(without));
        Assert.Contains("\"replicate\":7", with.Stage("teacher-seed7").CanonicalJson(with));
    }

    [Theory]
    [InlineData("seeds: [1, 1]", "seeds lists 1 twice")]
    [InlineData("seeds: [1.5]", "each seed must be a whole number")]
    [InlineData("seeds: []", "seeds must be a non-empty list")]
    [InlineData("matrix: { seed: [1, 2] }", "matrix variable 'seed' is reserved")]
    public void Bad_seeds_are_located_errors(string line, string message)
    {
        var result = PipelineLoader.LoadFromText(TestPipelines.Header + $"""
              teacher:
                kind: train
                {line}
                dataset: fm
                model: net
            """, "t.yaml", StageKindRegistry.Catalogue);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.ToString().Contains(message, StringComparison.Ordinal) && e.ToString().StartsWith("t.yaml:", StringComparison.Ordinal));
    }
}
