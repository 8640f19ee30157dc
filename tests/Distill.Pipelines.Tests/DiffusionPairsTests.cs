using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds.Distill;

namespace Distill.Pipelines.Tests;

/// <summary>
/// A distill stage's `diffusion` class pairs: declared before the run, Fashion-MNIST's by default, resolved to class
/// indices for the stage key, refused when a class is unknown, repeated within a pair or the pair is malformed.
/// </summary>
public sealed class DiffusionPairsTests
{
    private const string Stages = """
          teacher: { kind: train, dataset: fm, model: net }
          cache: { kind: cache-logits, inputs: { teacher: teacher } }

        """;

    private static string Student(string diffusion) => $"  student: {{ kind: distill, dataset: fm, model: net, inputs: {{ teacher: cache }}{diffusion} }}\n";

    [Fact]
    public void An_empty_map_measures_fashion_mnists_pairs_named_by_index_in_the_key()
    {
        var pipeline = TestPipelines.Load(TestPipelines.Header + Stages + Student(", diffusion: {}"));
        var p = ParameterRecords.Read<DistillParameters>(pipeline.Stage("student").Parameters);

        // T-shirt/top 0, Trouser 1, Pullover 2, Coat 4, Sandal 5, Shirt 6, Sneaker 7, Bag 8, Ankle boot 9.
        Assert.Equal([[6, 0], [2, 4], [7, 9]], p.Diffusion!.Similar.Select(pair => pair.Cast<int>().ToArray()));
        Assert.Equal([[1, 8], [5, 4]], p.Diffusion.Dissimilar.Select(pair => pair.Cast<int>().ToArray()));
        Assert.Contains("\"diffusion\":{\"dissimilar\":[[1,8],[5,4]],\"similar\":[[6,0],[2,4],[7,9]]}", CanonicalJson.ForStage(pipeline.Stage("student"), pipeline));
    }

    [Fact]
    public void Declared_pairs_take_names_or_indices_and_leaving_diffusion_out_keeps_the_key()
    {
        var declared = TestPipelines.Load(TestPipelines.Header + Stages + Student(", diffusion: { similar: [[shirt, 0]], dissimilar: [[Trouser, 8]] }"));
        var p = ParameterRecords.Read<DistillParameters>(declared.Stage("student").Parameters);
        Assert.Equal([[6, 0]], p.Diffusion!.Similar.Select(pair => pair.Cast<int>().ToArray()));

        var plain = TestPipelines.Load(TestPipelines.Header + Stages + Student(""));
        Assert.Null(ParameterRecords.Read<DistillParameters>(plain.Stage("student").Parameters).Diffusion);
        Assert.DoesNotContain("diffusion", CanonicalJson.ForStage(plain.Stage("student"), plain));
    }

    [Theory]
    [InlineData("diffusion: { similar: [[Shirt, Blouse]] }", "unknown class 'Blouse'")]
    [InlineData("diffusion: { similar: [[Shirt, 6]] }", "pairs class Shirt with itself")]
    [InlineData("diffusion: { similar: [[Shirt, Shirt]] }", "with itself")]
    [InlineData("diffusion: { similar: [[Shirt, Coat, Bag]] }", "a pair of two classes")]
    [InlineData("diffusion: { similar: [] }", "at least 1 item")]
    [InlineData("diffusion: { similar: Shirt }", "a list of class pairs")]
    public void A_bad_pair_is_refused_with_what_is_wrong(string diffusion, string expected)
    {
        var errors = TestPipelines.Errors(TestPipelines.Header + Stages + Student(", " + diffusion));
        Assert.Contains(errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Fashion_mnists_defaults_on_another_dataset_ask_for_its_own_pairs()
    {
        var yaml = TestPipelines.Header.Replace("fm: { kind: fashion-mnist, validation: 1000 }", "fm: { kind: cifar10 }") + Stages + Student(", diffusion: {}");
        var errors = TestPipelines.Errors(yaml);
        Assert.Contains(errors, e => e.Message.Contains("unknown class 'Shirt'", StringComparison.Ordinal) && e.Message.Contains("declare diffusion.similar", StringComparison.Ordinal));
    }
}
