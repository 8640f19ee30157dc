using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Distill.Losses;
using static TorchSharp.torch;

namespace Distill.Stages.Tests;

/// <summary>The distill stage's `loss` catalogue: each method's keys, defaults from its paper, and the loss it builds.</summary>
public sealed class DistillationMethodTests
{
    private const string Header = """
        name: t
        datasets:
          fm: { kind: fashion-mnist, validation: 100 }
        models:
          net: { architecture: resnet, depth: 8, width: 8 }
        stages:
          teacher: { kind: train, dataset: fm, model: net }

        """;

    private static PipelineDefinition Load(string loss) => Loaded(PipelineLoader.LoadFromText(Header + $$"""
          student:
            kind: distill
            dataset: fm
            model: net
            temperature: 4
            teacher-source: live
            inputs: { teacher: teacher }
            loss: {{loss}}
        """, "t.yaml", StageKindRegistry.Catalogue));

    private static PipelineDefinition Loaded(PipelineLoadResult result)
    {
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    private static (DistillParameters Stage, IDistillationLoss Loss) Built(string loss)
    {
        var stage = ParameterRecords.Read<DistillParameters>(Load(loss).Stage("student").Parameters);
        return (stage, DistillationLosses.Create(stage));
    }

    [Fact]
    public void The_catalogue_offers_the_logit_and_representation_methods()
    {
        Assert.Equal(["kd", "dkd", "dist", "rkd", "pkt", "sp", "crd", "at", "fitnet", "nst", "cc", "vid", "fsp", "wttm", "mlkd", "ctkd", "reviewkd", "ofd", "ab", "ft", "kdsvd"], DistillationLosses.Names);
    }

    [Theory]
    [InlineData("rkd", "weight", 1.0)]
    [InlineData("rkd", "distance", 25.0)]
    [InlineData("rkd", "angle", 50.0)]
    [InlineData("pkt", "weight", 30000.0)]
    [InlineData("sp", "weight", 3000.0)]
    [InlineData("at", "weight", 1000.0)]
    [InlineData("at", "power", 2.0)]
    [InlineData("dist", "beta", 2.0)]
    [InlineData("dist", "gamma", 2.0)]
    [InlineData("crd", "weight", 0.8)]
    [InlineData("crd", "dimension", 128.0)]
    [InlineData("crd", "negatives", 16384.0)]
    [InlineData("crd", "nce-temperature", 0.07)]
    [InlineData("crd", "memory-momentum", 0.5)]
    [InlineData("pkt", "ce-weight", 1.0)]
    [InlineData("pkt", "kd-weight", 0.0)]
    [InlineData("wttm", "weight", 4.0)]
    [InlineData("wttm", "ce-weight", 1.0)]
    [InlineData("mlkd", "weight", 0.9)]
    [InlineData("mlkd", "ce-weight", 0.1)]
    [InlineData("ctkd", "weight", 0.9)]
    [InlineData("ctkd", "ce-weight", 0.1)]
    [InlineData("ctkd", "min-temperature", 1.0)]
    [InlineData("ctkd", "temperature-range", 20.0)]
    [InlineData("ctkd", "max-reversal", 1.0)]
    [InlineData("ctkd", "curriculum-epochs", 10.0)]
    [InlineData("reviewkd", "weight", 1.0)]
    [InlineData("reviewkd", "ce-weight", 1.0)]
    [InlineData("reviewkd", "warmup-epochs", 20.0)]
    [InlineData("ofd", "weight", 0.001)]
    [InlineData("ofd", "ce-weight", 1.0)]
    [InlineData("ab", "weight", 1.0)]
    [InlineData("ab", "margin", 1.0)]
    [InlineData("ft", "weight", 200.0)]
    [InlineData("ft", "rate", 0.5)]
    [InlineData("ft", "paraphraser-epochs", 30.0)]
    [InlineData("ft", "paraphraser-learning-rate", 0.01)]
    [InlineData("kdsvd", "weight", 1.0)]
    [InlineData("kdsvd", "vectors", 1.0)]
    [InlineData("kdsvd", "ce-weight", 1.0)]
    public void Keys_default_to_the_published_settings(string method, string key, double value)
    {
        Assert.Equal(value, Load(method).Stage("student").Parameters.GetMap("loss").GetDouble(key));
    }

    [Theory]
    [InlineData("rkd", new[] { "embedding" })]
    [InlineData("pkt", new[] { "embedding" })]
    [InlineData("sp", new[] { "embedding" })]
    [InlineData("crd", new[] { "embedding" })]
    [InlineData("{ name: sp, point: stage3 }", new[] { "stage3" })]
    [InlineData("at", new[] { "stage1", "stage2", "stage3" })]
    [InlineData("{ name: at, points: [stage3] }", new[] { "stage3" })]
    [InlineData("ofd", new[] { "stage1-preact", "stage2-preact", "stage3-preact" })]
    [InlineData("ab", new[] { "stage1-preact", "stage2-preact", "stage3-preact" })]
    [InlineData("ft", new[] { "stage3" })]
    [InlineData("kdsvd", new[] { "stage1", "stage2", "stage3" })]
    [InlineData("dist", new string[0])]
    public void Each_method_reads_the_points_its_keys_name_from_both_models(string loss, string[] points)
    {
        var built = Built(loss).Loss;

        Assert.Equal(points, built.TeacherPoints);
        Assert.Equal(points, built.StudentPoints);
    }

    [Fact]
    public void ReviewKD_reads_the_students_stages_and_the_teachers_pre_activation_maps_each_with_the_embedding()
    {
        var published = Built("reviewkd").Loss;
        Assert.Equal(["stage1", "stage2", "stage3", "embedding"], published.StudentPoints);
        Assert.Equal(["stage1-preact", "stage2-preact", "stage3-preact", "embedding"], published.TeacherPoints);

        var outputs = Built("{ name: reviewkd, points: [stage2, stage3], teacher-pre-activation: false }").Loss;
        Assert.Equal(["stage2", "stage3", "embedding"], outputs.TeacherPoints);
    }

    [Fact]
    public void A_representation_method_is_its_weight_times_the_term_plus_the_label_and_kd_terms()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var student = new ModelOutputs(randn(8, 10), new Dictionary<string, Tensor> { ["embedding"] = randn(8, 6) });
        var teacher = new ModelOutputs(randn(8, 10), new Dictionary<string, Tensor> { ["embedding"] = randn(8, 12) });
        var batch = new TrainingBatch(zeros(8, 1, 2, 2), tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 }), [0, 1, 2, 3, 4, 5, 6, 7]);
        var (stage, loss) = Built("{ name: pkt, weight: 2, ce-weight: 0.5, kd-weight: 0.25 }");

        double expected = 2 * new ProbabilisticTransferTerm("embedding").Loss(student["embedding"], teacher["embedding"]).item<float>()
            + 0.5 * nn.functional.cross_entropy(student.Logits, batch.Labels).item<float>()
            + 0.25 * 16 * SoftTargetLoss.SoftCrossEntropy(teacher.Logits, 4, student.Logits, 4).item<float>();

        Assert.Equal(4.0, stage.Temperature);
        Assert.Equal(expected, loss.Loss(student, teacher, batch).item<float>(), 1e-4);
    }

    [Theory]
    [InlineData("rkd")]
    [InlineData("pkt")]
    [InlineData("crd")]
    [InlineData("{ name: sp, point: embedding }")]
    public void An_embedding_method_reads_a_cache_that_holds_embeddings(string loss)
    {
        var result = PipelineLoader.LoadFromText(Header + $$"""
              cache: { kind: cache-logits, embeddings: true, inputs: { teacher: teacher } }
              student: { kind: distill, dataset: fm, model: net, loss: {{loss}}, inputs: { teacher: cache } }
            """, "t.yaml", StageKindRegistry.Catalogue);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        // Asking for embeddings is part of the cache's key (left out, the key is as before the key existed).
        Assert.Contains("\"embeddings\":true", result.Pipeline!.Stage("cache").CanonicalJson(result.Pipeline));
    }

    [Theory]
    [InlineData("kd")]
    [InlineData("dkd")]
    [InlineData("dist")]
    public void Logit_standardization_is_a_switch_on_every_logit_method_and_leaves_seeds_as_they_were_when_off(string method)
    {
        string Stage(string extra) => Header + $$"""
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, loss: {{method}}, inputs: { teacher: teacher }{{extra}} }
            """;
        var on = Loaded(PipelineLoader.LoadFromText(Stage(", logit-standardization: true"), "t.yaml", StageKindRegistry.Catalogue));
        var stage = ParameterRecords.Read<DistillParameters>(on.Stage("student").Parameters);
        Assert.True(((LogitDistillationLoss)DistillationLosses.Create(stage)).Standardized);
        var off = Loaded(PipelineLoader.LoadFromText(Stage(""), "t.yaml", StageKindRegistry.Catalogue));
        Assert.DoesNotContain("logit-standardization", CanonicalJson.ForSeed(off.Stage("student"), off));
        Assert.Contains("\"logit-standardization\":false", off.Stage("student").CanonicalJson(off));
        Assert.False(((LogitDistillationLoss)DistillationLosses.Create(ParameterRecords.Read<DistillParameters>(off.Stage("student").Parameters))).Standardized);
    }

    [Fact]
    public void The_divergence_of_kds_soft_term_is_a_choice_that_other_methods_refuse()
    {
        var (_, loss) = Built("kd");
        Assert.Equal(SoftTargetDivergence.ForwardKl, ((SoftTargetLoss)loss).Divergence);
        var chosen = Loaded(PipelineLoader.LoadFromText(Header + """
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, divergence: jsd, jsd-beta: 0.3, inputs: { teacher: teacher } }
            """, "t.yaml", StageKindRegistry.Catalogue));
        var jsd = (SoftTargetLoss)DistillationLosses.Create(ParameterRecords.Read<DistillParameters>(chosen.Stage("student").Parameters));
        Assert.Equal((SoftTargetDivergence.Jsd, 0.3), (jsd.Divergence, jsd.JsdBeta));
        var refused = PipelineLoader.LoadFromText(Header + """
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, loss: dkd, divergence: reverse-kl, inputs: { teacher: teacher } }
            """, "t.yaml", StageKindRegistry.Catalogue);
        Assert.Contains(refused.Errors, e => e.ToString().Contains("divergence reverse-kl chooses the divergence of kd's soft term; loss 'dkd' has its own", StringComparison.Ordinal));
    }

    [Fact]
    public void Logit_standardization_on_a_method_that_reads_no_logits_is_refused()
    {
        var result = PipelineLoader.LoadFromText(Header + """
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, loss: rkd, logit-standardization: true, inputs: { teacher: teacher } }
            """, "t.yaml", StageKindRegistry.Catalogue);
        Assert.Contains(result.Errors, e => e.ToString().Contains("loss 'rkd' reads no logits of the teacher", StringComparison.Ordinal));
    }

    [Fact]
    public void Attention_transfer_needs_maps_of_one_size_and_says_which_differ()
    {
        var at = new AtMethod();

        Assert.Null(at.ShapeProblem("stage2", [16, 8, 8], [64, 8, 8]));
        Assert.Equal("'stage2' is 8x8 (16 channels) in the student and 16x16 (64 channels) in the teacher; attention transfer needs feature maps of the same height and width",
            at.ShapeProblem("stage2", [16, 8, 8], [64, 16, 16]));
        Assert.Contains("a vector of 64", at.ShapeProblem("embedding", [16, 8, 8], [64]));
    }

    [Fact]
    public void Kdsvd_needs_the_teachers_channels_and_any_sizes_and_ft_square_maps()
    {
        var kdsvd = new KdsvdMethod();
        Assert.Null(kdsvd.ShapeProblem("stage2", [32, 8, 8], [32, 16, 16]));
        Assert.Equal("'stage2': KDSVD aligns singular vectors over the channels, so it needs the same channels in both models, and the student has 16 where the teacher has 32",
            kdsvd.ShapeProblem("stage2", [16, 8, 8], [32, 8, 8]));
        var ft = new FtMethod();
        Assert.Null(ft.ShapeProblem("stage3", [16, 8, 8], [64, 4, 4]));
        Assert.Contains("FT needs feature maps in both models", ft.ShapeProblem("embedding", [16], [64]));
    }

    [Fact]
    public void Every_point_an_architecture_offers_is_one_the_point_keys_know()
    {
        foreach (var architecture in StageKindRegistry.Architectures)
        {
            using var net = architecture.Create(ParameterSet.Empty, 3, 32, 32, 10);
            Assert.All(net.FeaturePointNames, p => Assert.Contains(p, FeaturePoints.Known));
        }
    }
}
