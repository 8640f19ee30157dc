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

    private static int[] Bits(nn.Module network) =>
        network.parameters().SelectMany(p => p.data<float>().ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>The small network (tails only) or the wide one, whose first weight spans several of the fused loop's chunks.</summary>
    private static nn.Module<Tensor, Tensor> Network(long seed, bool wide) => wide ? WideNetwork(seed) : Network(seed);

    [Theory]
    [InlineData(0.9, 5e-4, true, false)]
    [InlineData(0.9, 0.0, false, false)]
    [InlineData(0.0, 1e-3, false, false)]
    [InlineData(0.9, 5e-4, true, true)]
    [InlineData(0.9, 0.0, false, true)]
    [InlineData(0.0, 1e-3, false, true)]
    public void Takes_the_same_steps_as_TorchSharps_SGD_to_the_bit(double momentum, double weightDecay, bool nesterov, bool wide)
    {
        using var reference = Network(3, wide);
        using var ours = Network(3, wide);
        using var referenceSgd = optim.SGD(reference.parameters(), 0.05, momentum, 0, weightDecay, nesterov);
        using var ourSgd = new Distill.Learning.Training.SGD(ours.parameters(), 0.05, momentum, weightDecay, nesterov);
        Assert.Equal(wide, ours.parameters().First().numel() > 2 * Distill.Learning.Platform.SgdKernels.ChunkElements);

        Steps(reference, referenceSgd, 0, wide ? 4 : 6);
        Steps(ours, ourSgd, 0, wide ? 4 : 6);

        Assert.NotEqual(Bits(Network(3, wide)), Bits(ours)); // the steps moved the weights
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
        Assert.Equal(Bits(reference), Bits(ours));
    }
}
