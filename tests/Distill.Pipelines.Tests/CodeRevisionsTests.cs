using Distill.Learning.Platform;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds;

namespace Distill.Pipelines.Tests;

/// <summary>Keys name the code: each stage's definition holds the revisions of the code it runs, and nothing else's.</summary>
public sealed class CodeRevisionsTests
{
    private const string Yaml = TestPipelines.Header + """
          teacher: { kind: train, dataset: fm, model: res, epochs: 2 }
          cache: { kind: cache-logits, inputs: { teacher: teacher } }
          kd: { kind: distill, dataset: fm, model: net, epochs: 2, inputs: { teacher: cache } }
          dkd: { kind: distill, dataset: fm, model: net, epochs: 2, loss: dkd, inputs: { teacher: cache } }
          calibration: { kind: calibrate, inputs: { logits: cache } }
        """;

    [Fact]
    public void A_stage_names_its_kind_reader_architecture_loss_and_kernels()
    {
        var code = CodeOf(TestPipelines.Load(Yaml), "dkd");

        Assert.Equal(1, code["kind/distill"]);
        Assert.Equal(1, code["dataset/fashion-mnist"]);
        Assert.Equal(1, code["architecture/alexnet"]);
        Assert.Equal(1, code["loss/dkd"]);
        Assert.Equal(ConvolutionRouting.Revision, code["kernel/convolution"]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string)code["torchsharp"]);
        Assert.DoesNotContain("loss/kd", code.Keys);
        // A calibration runs no network: no kernels, only its kind.
        Assert.Equal(["kind/calibrate"], CodeOf(TestPipelines.Load(Yaml), "calibration").Keys);
    }

    [Fact]
    public void Bumping_a_losss_revision_rekeys_only_the_stages_that_use_it_and_moves_no_seed()
    {
        var before = TestPipelines.Load(Yaml);
        var after = LoadWith(Catalogue(lossRevision: ("dkd", 2)));

        Assert.NotEqual(before.Stage("dkd").CanonicalJson(before), after.Stage("dkd").CanonicalJson(after));
        foreach (var id in new[] { "teacher", "cache", "kd", "calibration" })
            Assert.Equal(before.Stage(id).CanonicalJson(before), after.Stage(id).CanonicalJson(after));
        foreach (var id in new[] { "teacher", "cache", "kd", "dkd", "calibration" })
            Assert.Equal(CanonicalJson.ForSeed(before.Stage(id), before), CanonicalJson.ForSeed(after.Stage(id), after));
    }

    [Fact]
    public void Bumping_a_kernels_revision_rekeys_every_stage_that_runs_a_network()
    {
        var before = TestPipelines.Load(Yaml);
        var kernels = KernelRevisions.All.ToDictionary(kv => kv.Key, kv => kv.Key == "kernel/batchnorm-relu" ? (object)((int)kv.Value + 1) : kv.Value);
        var after = LoadWith(Catalogue(kernels: kernels));

        foreach (var id in new[] { "teacher", "cache", "kd", "dkd" })
            Assert.NotEqual(before.Stage(id).CanonicalJson(before), after.Stage(id).CanonicalJson(after));
        Assert.Equal(before.Stage("calibration").CanonicalJson(before), after.Stage("calibration").CanonicalJson(after));
    }

    private static SortedDictionary<string, object> CodeOf(PipelineDefinition pipeline, string stage) =>
        CodeRevisions.Of(pipeline.Stage(stage), pipeline);

    private static PipelineDefinition LoadWith(StageCatalogue catalogue)
    {
        var result = PipelineLoader.LoadFromText(Yaml, "/pipelines/test.yaml", catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    /// <summary>This build's catalogue with one loss's revision, or the kernels', replaced.</summary>
    private static StageCatalogue Catalogue((string Name, int Revision)? lossRevision = null, IReadOnlyDictionary<string, object>? kernels = null)
    {
        var kinds = StageKindRegistry.Catalogue.Kinds.Select(kind => lossRevision is { } bump && kind.Spec.Name == "distill"
            ? new RevisedKind(kind.Spec with { Parameters = kind.Spec.Parameters.Select(p => p.Type != ParameterType.Variant ? p
                : p with { Variants = p.Variants.Select(v => v.Name == bump.Name ? v with { Revision = bump.Revision } : v).ToList() }).ToList() })
            : kind);
        return new StageCatalogue(kinds, StageKindRegistry.Datasets, StageKindRegistry.Architectures, kernels ?? KernelRevisions.All);
    }

    private sealed class RevisedKind(StageKindSpec spec) : IStageKind
    {
        public StageKindSpec Spec => spec;
    }
}
