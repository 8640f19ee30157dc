using Distill.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

public class SGDTests
{
    private static nn.Module<Tensor, Tensor> Network(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3));
    }

    // Wide enough that the first layer's weights span several of the fused loop's chunks, with tails of every kind.
    private static nn.Module<Tensor, Tensor> WideNetwork(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Linear(6, 6007), nn.ReLU(), nn.Linear(6007, 3));
    }

    private static void Steps(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, int from, int count)
    {
        for (int step = from; step < from + count; step++)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator((ulong)(100 + step));
            var inputs = randn(new long[] { 8, 6 }, generator: generator);
            var targets = randint(0, 3, new long[] { 8 }, generator: generator);
            optimizer.zero_grad();
            nn.functional.cross_entropy(network.forward(inputs), targets).backward();
            optimizer.step();
        }
    }

    private static float[] Weights(nn.Module network) =>
        network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private static int[] Bits(nn.Module network) => Weights(network).Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(0.9, 5e-4, true)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.0, 1e-3, false)]
    public void Takes_the_same_steps_as_TorchSharps_SGD_to_the_bit(double momentum, double weightDecay, bool nesterov)
    {
        using var reference = Network(3);
        using var ours = Network(3);
        using var referenceSgd = optim.SGD(reference.parameters(), 0.05, momentum, 0, weightDecay, nesterov);
        using var ourSgd = new Distill.Learning.Training.SGD(ours.parameters(), 0.05, momentum, weightDecay, nesterov);

        Steps(reference, referenceSgd, 0, 6);
        Steps(ours, ourSgd, 0, 6);

        Assert.NotEqual(Weights(Network(3)), Weights(ours)); // the steps moved the weights
        Assert.Equal(Weights(reference), Weights(ours));
    }

    [Theory]
    [InlineData(0.9, 5e-4, true)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.0, 1e-3, false)]
    public void Takes_the_same_steps_as_TorchSharps_SGD_to_the_bit_over_many_chunks(double momentum, double weightDecay, bool nesterov)
    {
        using var reference = WideNetwork(7);
        using var ours = WideNetwork(7);
        using var referenceSgd = optim.SGD(reference.parameters(), 0.05, momentum, 0, weightDecay, nesterov);
        using var ourSgd = new Distill.Learning.Training.SGD(ours.parameters(), 0.05, momentum, weightDecay, nesterov);
        Assert.True(ours.parameters().First().numel() > 2 * Distill.Learning.Platform.SgdKernels.ChunkElements);

        Steps(reference, referenceSgd, 0, 4);
        Steps(ours, ourSgd, 0, 4);

        Assert.NotEqual(Bits(WideNetwork(7)), Bits(ours));
        Assert.Equal(Bits(reference), Bits(ours));
    }

    [Fact]
    public void Resumes_from_the_state_dict_TorchSharps_SGD_wrote()
    {
        using var reference = Network(5);
        using var ours = Network(5);
        using var referenceSgd = optim.SGD(reference.parameters(), 0.05, 0.9, 0, 5e-4, true);
        Steps(reference, referenceSgd, 0, 3);

        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            reference.save(writer);
            referenceSgd.save_state_dict(writer);
        }
        state.Position = 0;
        using var ourSgd = new Distill.Learning.Training.SGD(ours.parameters(), 0.05, 0.9, 5e-4, true);
        using (var reader = new BinaryReader(state))
        {
            ours.load(reader);
            ourSgd.load_state_dict(reader);
        }

        Steps(reference, referenceSgd, 3, 3);
        Steps(ours, ourSgd, 3, 3);
        Assert.Equal(Weights(reference), Weights(ours));
    }
}
