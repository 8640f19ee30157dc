using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// AB (Heo, Lee, Yun, Choi, "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
/// AAAI 2019), `loss: ab`, as RepDistiller's ABLoss and Connector (after the authors' code): at each stage the
/// student's map before its last ReLU, through a connector where the two maps differ (RepDistiller's ConvReg without
/// its ReLU: a convolution and batch norm), is pushed to the teacher's side of each neuron's activation boundary by a
/// margin: (s + margin)^2 where the teacher's neuron is off (t &lt;= 0) and the student's is above -margin,
/// (s - margin)^2 where the teacher's is on and the student's below margin; summed over channels and positions,
/// divided by the batch size, weighed 2^(i - n + 1) for stage i of n and scaled by 3 / 1000, summed over the stages.
/// </summary>
public sealed class ActivationBoundaryTerm(IReadOnlyList<string> stages, double margin) : IRepresentationTerm
{
    private Connectors? _connectors;

    /// <summary>The stages' pre-activation maps, in both models.</summary>
    public IReadOnlyList<string> Points { get; } = [.. stages.Select(PreActivation.Of)];

    public nn.Module? Connector => _connectors;

    /// <summary>Why no connector maps these C x H x W shapes onto each other; null when one does.</summary>
    public static string? Problem(long[] student, long[] teacher) =>
        student.SequenceEqual(teacher) ? null : HintRegressor.Problem(student, teacher);

    public void Connect(ConnectorContext context)
    {
        _connectors?.Dispose();
        manual_seed(context.Seed);
        _connectors = new Connectors([.. Points.Select(p => (context.Student[p], context.Teacher[p]))]);
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var connectors = _connectors ?? throw new InvalidOperationException("AB's connectors are built by Connect before the first step");
        using var scope = NewDisposeScope();
        int count = Points.Count;
        var total = Points.Select((p, i) =>
        {
            var source = connectors[i].call(student[p]);
            return AlternativeL2(source, teacher[p].detach(), margin).mul(StageWeights.Deeper(i, count) / source.shape[0] / 1000 * 3);
        }).Aggregate((a, b) => a.add(b));
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>RepDistiller's Connector: per stage nothing where the maps agree in channels and size, else ConvReg without its ReLU.</summary>
    public sealed class Connectors : nn.Module
    {
        private readonly ModuleList<nn.Module<Tensor, Tensor>> stages;

        public Connectors(IReadOnlyList<(long[] Student, long[] Teacher)> shapes) : base(nameof(Connectors))
        {
            stages = nn.ModuleList(shapes.Select(c => c.Student[0] == c.Teacher[0] && c.Student[1] == c.Teacher[1]
                ? nn.Identity() : (nn.Module<Tensor, Tensor>)new HintRegressor(c.Student, c.Teacher, relu: false)).ToArray());
            RegisterComponents();
        }

        public nn.Module<Tensor, Tensor> this[int stage] => stages[stage];
    }

    /// <summary>RepDistiller's criterion_alternative_l2, summed over everything.</summary>
    public static Tensor AlternativeL2(Tensor source, Tensor target, double margin)
    {
        using var scope = NewDisposeScope();
        var off = source.gt(-margin).logical_and(target.le(0)).to(source.dtype);
        var on = source.le(margin).logical_and(target.gt(0)).to(source.dtype);
        var loss = source.add(margin).square().mul(off).add(source.sub(margin).square().mul(on));
        return loss.abs().sum().MoveToOuterDisposeScope();
    }
}
