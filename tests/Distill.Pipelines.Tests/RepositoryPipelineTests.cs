using Distill.Stages.Kinds;

namespace Distill.Pipelines.Tests;

/// <summary>Every pipeline shipped in pipelines/ loads against the catalogue of this build.</summary>
public sealed class RepositoryPipelineTests
{
    public static TheoryData<string> Files =>
        [.. Directory.GetFiles(Path.Combine(RepoFiles.Root, "pipelines"), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Files))]
    public void The_pipeline_validates(string file)
    {
        var result = PipelineLoader.Load(Path.Combine(RepoFiles.Root, "pipelines", file), StageKindRegistry.Catalogue);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.NotEmpty(result.Pipeline!.Stages);
    }

    [Theory]
    [InlineData("fashion-mnist-kd-benchmark.yaml", 106)]
    [InlineData("cifar100-kd-benchmark.yaml", 299)]
    public void The_benchmarks_run_every_method_for_three_seeds(string file, int stages)
    {
        var pipeline = PipelineLoader.Load(Path.Combine(RepoFiles.Root, "pipelines", file), StageKindRegistry.Catalogue).Pipeline!;
        var methods = pipeline.Stages.Where(s => s.Kind == "distill").Select(s => s.Parameters.GetMap("loss").GetString("name")).Distinct().ToList();

        Assert.Equal(stages, pipeline.Stages.Count);
        Assert.All(Distill.Stages.Kinds.Distill.Losses.DistillationLosses.Names, m => Assert.Contains(m, methods));
        // The switches of every logit method and kd's divergences: logit standardization in both benchmarks.
        Assert.Contains(pipeline.Stages, s => s.Parameters.GetValueOrDefault("logit-standardization") is true);
        Assert.All(pipeline.Stages.Where(s => s.Kind == "distill"), s => Assert.NotNull(s.Replicate));
        Assert.Equal([1, 2, 3], pipeline.Stages.Where(s => s.Kind == "distill").Select(s => s.Replicate!.Value).Distinct().Order());
    }

    [Fact]
    public void The_compatibility_demo_defines_the_paper_pipelines_teachers_and_caches_exactly_so_the_store_shares_them()
    {
        PipelineDefinition Load(string file) => PipelineLoader.Load(Path.Combine(RepoFiles.Root, "pipelines", file), StageKindRegistry.Catalogue).Pipeline!;
        var paper = Load("fashion-mnist-paper.yaml");
        var compatibility = Load("fashion-mnist-compatibility.yaml");

        var shared = compatibility.Stages.Where(s => s.Kind is "train" or "cache-logits").ToList();
        Assert.Equal(30, shared.Count);
        // The definitions that key a stage (inputs by count here; the inputs are these same teachers).
        Assert.All(shared, s => Assert.Equal(CanonicalJson.ForStage(paper.Stage(s.Id), paper), CanonicalJson.ForStage(s, compatibility)));
    }
}
