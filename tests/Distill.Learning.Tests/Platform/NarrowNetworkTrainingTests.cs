using Distill.Learning.Models;
using Distill.Learning.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Platform;

/// <summary>
/// Narrow and odd-width ResNets train step for step like the same network in float64, which never
/// touches oneDNN: the workaround gives correct gradients, not merely finite ones.
/// </summary>
public sealed class NarrowNetworkTrainingTests
{
    private const int Steps = 20;
    private const int Batch = 16;

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(24)]
    public void Every_step_loss_matches_the_float64_reference(int width)
    {
        var (routed, reference) = TrainTwins(width);

        for (int step = 0; step < Steps; step++)
            Assert.True(Math.Abs(routed[step] - reference[step]) <= 1e-3 * Math.Abs(reference[step]),
                $"width {width}, step {step + 1}: float32 loss {routed[step]} against float64 {reference[step]} ({CpuIsa.Description})");
    }

    /// <summary>The same ResNet-8, initialised once, trained in float32 (routed kernels) and in float64.</summary>
    internal static (double[] Float32, double[] Float64) TrainTwins(int width)
    {
        using var scope = NewDisposeScope();
        manual_seed(width);
        using var model = new CifarResNet(8, 1, 10, width);
        using var twin = new CifarResNet(8, 1, 10, width);
        twin.load_state_dict(model.state_dict());
        twin.to(ScalarType.Float64);

        var generator = new Generator(42);
        var images = randn([Steps * Batch, 1, 16, 16], generator: generator);
        var labels = randint(0, 10, [Steps * Batch], generator: generator);
        return (Train(model, images, labels), Train(twin, images.to(ScalarType.Float64), labels));
    }

    private static double[] Train(CifarResNet model, Tensor images, Tensor labels)
    {
        using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        model.train();
        var losses = new double[Steps];
        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(images.narrow(0, step * Batch, Batch)), labels.narrow(0, step * Batch, Batch));
            losses[step] = loss.to(ScalarType.Float64).item<double>();
            loss.backward();
            optimizer.step();
        }
        return losses;
    }
}
