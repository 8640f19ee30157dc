using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature Distillation", ICCV 2019), `loss: ofd`, as
/// mdistiller's OFD (after the authors' code): at each stage the student's pre-activation map passes a connector (a 1x1
/// convolution and batch norm to the teacher's channels) and is compared with the teacher's pre-activation map, pooled
/// to the student's size, by the partial L2 distance: no penalty where both lie below the teacher's margin (the
/// expected value of its batch norm's output where negative, per channel); (s - t)^2 where the teacher is positive or
/// the student above a negative teacher; (s - margin)^2 where the student is above the margin and the teacher below it.
/// Summed over channels and positions, averaged over the batch; the stage i of n weighed 1 / 2^(n - 1 - i).
/// </summary>
public sealed class OverhaulTerm(IReadOnlyList<string> stages) : IRepresentationTerm
{
    private Connectors? _connectors;
    private Tensor[] _margins = [];

    /// <summary>The stages' pre-activation maps, in both models.</summary>
    public IReadOnlyList<string> Points { get; } = [.. stages.Select(PreActivation.Of)];

    public nn.Module? Connector => _connectors;

    public void Connect(ConnectorContext context)
    {
        _connectors?.Dispose();
        foreach (var margin in _margins) margin.Dispose();
        _margins = [.. Points.Select(p => Margin(context.TeacherNorm(p)
            ?? throw new InvalidOperationException($"OFD's margins come from the teacher's batch norm before '{p}', which it has none of")))];
        manual_seed(context.Seed);
        _connectors = new Connectors([.. Points.Select(p => (context.Student[p][0], context.Teacher[p][0]))]);
    }

    /// <summary>
    /// Per channel of the batch norm's output N(bias, |weight|): E[x | x &lt; 0] = bias - |weight| phi(bias / |weight|) /
    /// Phi(-bias / |weight|) where that tail holds more than 0.1 %, else -3 |weight| (the authors' get_margin).
    /// </summary>
    public static Tensor Margin(BatchNorm2d norm)
    {
        using var scope = NewDisposeScope();
        var s = norm.weight!.detach().to(ScalarType.Float64).abs();
        var m = norm.bias!.detach().to(ScalarType.Float64);
        var z = m.div(s);
        var tail = special.erfc(z.div(Math.Sqrt(2))).mul(0.5); // Phi(-m / s)
        var expected = s.neg().mul(z.square().mul(-0.5).exp()).div(Math.Sqrt(2 * Math.PI)).div(tail).add(m);
        return where(tail.gt(0.001), expected, s.mul(-3)).view(1, -1, 1, 1).MoveToOuterDisposeScope();
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var connectors = _connectors ?? throw new InvalidOperationException("OFD's connectors are built by Connect before the first step");
        using var scope = NewDisposeScope();
        int count = Points.Count;
        var total = Points.Select((p, i) =>
        {
            var source = connectors[i].call(student[p]);
            var target = nn.functional.adaptive_avg_pool2d(teacher[p].detach(), [source.shape[2], source.shape[3]]);
            return PartialDistance(source, target, _margins[i].to(source.dtype, source.device)).mul(StageWeights.Deeper(i, count));
        }).Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>mdistiller's feat_loss: the partial L2 distance, summed over channels and positions, averaged over the batch.</summary>
    public static Tensor PartialDistance(Tensor source, Tensor target, Tensor margin)
    {
        using var scope = NewDisposeScope();
        var belowMargin = source.gt(margin).logical_and(target.le(margin));
        var aboveNegative = source.gt(target).logical_and(target.gt(margin)).logical_and(target.le(0));
        var positive = target.gt(0);
        var squared = source.sub(target).square();
        var loss = source.sub(margin).square().mul(belowMargin.to(source.dtype))
            .add(squared.mul(aboveNegative.to(source.dtype)))
            .add(squared.mul(positive.to(source.dtype)));
        return loss.abs().mean([0]).sum().MoveToOuterDisposeScope();
    }

    /// <summary>OFD's connectors, one per stage: a 1x1 convolution without bias, drawn N(0, 2 / out channels), and a batch norm (1, 0).</summary>
    public sealed class Connectors : nn.Module
    {
        private readonly ModuleList<Sequential> stages;

        public Connectors(IReadOnlyList<(long Student, long Teacher)> channels) : base(nameof(Connectors))
        {
            stages = nn.ModuleList(channels.Select(c =>
            {
                var conv = new RoutedConv2d(c.Student, c.Teacher, 1, bias: false);
                using (no_grad()) conv.parameters().First().normal_(0, Math.Sqrt(2.0 / c.Teacher));
                return nn.Sequential(("conv", (nn.Module<Tensor, Tensor>)conv), ("norm", nn.BatchNorm2d(c.Teacher)));
            }).ToArray());
            RegisterComponents();
        }

        public Sequential this[int stage] => stages[stage];
    }
}
