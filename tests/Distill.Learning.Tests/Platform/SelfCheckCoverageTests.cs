using Distill.Learning.Models;
using Distill.Learning.Platform;
using Distill.Learning.Tests.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>The start-up self-check checks every convolution a model then runs, in the precision it runs it.</summary>
public sealed class SelfCheckCoverageTests
{
    public static TheoryData<string> Architectures => FeaturePointTests.Architectures;

    [SkippableTheory]
    [MemberData(nameof(Architectures))]
    public void The_self_check_covers_every_shape_that_training_and_evaluation_route(string architecture)
    {
        foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
        {
            if (precision == Precision.Bf16) // fp32 has been covered when this skips
                Skip.If(PrecisionSupport.Unavailable(precision) is not null, PrecisionSupport.Unavailable(precision));
            using var model = FeaturePointTests.Create(architecture);
            model.Precision = precision;
            var checkedShapes = ConvolutionSelfCheck.VerifyModel(model, 3, 16, 16).Checks.Select(c => c.Shape).ToHashSet();

            var routed = RoutedShapes(model);

            Assert.NotEmpty(routed);
            Assert.All(routed, shape => Assert.True(checkedShapes.Contains(shape),
                $"{architecture}, {precision.Name()}: {shape} runs in training or evaluation but the self-check skipped it"));
        }
    }

    /// <summary>The shapes a training step (another batch size than the check's) and an evaluation pass convolve.</summary>
    private static IReadOnlyCollection<ConvolutionShape> RoutedShapes(ClassifierNet model)
    {
        using var scope = NewDisposeScope();
        var all = new HashSet<ConvolutionShape>();
        using (ConvolutionShapeRecorder.Start(out var shapes))
        {
            model.train();
            model.forward(randn(5, 3, 16, 16)).square().sum().backward();
            all.UnionWith(shapes);
        }
        using (ConvolutionShapeRecorder.Start(out var shapes))
        using (no_grad())
        {
            model.eval();
            model.forward(randn(3, 3, 16, 16));
            all.UnionWith(shapes);
        }
        return all;
    }
}
