using Distill.Learning.Data;
using Distill.Pipelines;
using Distill.Stages.Data;
using Distill.Stages.Kinds;
using static TorchSharp.torch;

namespace Distill.Stages.Tests;

/// <summary>A dataset's `standardisation:` replaces the training split's statistics, and is checked against the images' channels before a run.</summary>
public sealed class StandardisationTests
{
    private static PipelineDefinition Load(string standardisation)
    {
        var result = PipelineLoader.LoadFromText($$"""
            name: t
            datasets:
              fm: { kind: fashion-mnist, standardisation: {{standardisation}} }
            models:
              net: { architecture: alexnet }
            stages:
              a: { kind: train, dataset: fm, model: net }
            """, "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    [Theory]
    [InlineData("{ mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] }", "standardisation gives 3 means and 3 standard deviations; the images have 1 channels")]
    [InlineData("{ mean: [0.5] }", "standardisation needs both mean and std")]
    public void Constants_that_do_not_fit_the_images_are_refused_before_a_run(string standardisation, string problem)
    {
        var problems = DataPreflight.Problems(Load(standardisation));
        Assert.Contains(problems, p => p.Contains($"dataset 'fm': {problem}", StringComparison.Ordinal));
    }

    [Fact]
    public void Fitting_constants_pass_the_check_and_replace_the_training_split_statistics()
    {
        Assert.Empty(DataPreflight.Problems(Load("{ mean: [0.3], std: [0.35] }")));
        using var images = full(new long[] { 4, 1, 2, 2 }, 51, ScalarType.Byte); // every pixel 0.2: its own std is 0
        using var train = new LabeledImages(images, [0, 1, 0, 1], ["a", "b"], [0, 1, 2, 3]);
        using var test = new LabeledImages(images.clone(), [0, 1, 0, 1], ["a", "b"], [0, 1, 2, 3]);
        var given = new ChannelStatistics([0.3f], [0.35f]) { Given = true };
        using var prepared = DataPreparation.Prepare(train, test, new SplitOptions { Standardisation = given });
        Assert.Same(given, prepared.Statistics);
        using var computed = DataPreparation.Prepare(train, test, new SplitOptions());
        Assert.Equal(0.2f, computed.Statistics.Mean[0], 6);
        Assert.False(computed.Statistics.Given);
    }
}
