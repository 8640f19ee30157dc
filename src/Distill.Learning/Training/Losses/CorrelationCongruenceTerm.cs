using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// CC (Peng et al., "Correlation Congruence for Knowledge Distillation", ICCV 2019), `loss: cc`, as RepDistiller runs
/// it (its Correlation, restructured from the authors' code): both models' features at the point embedded by trained
/// linear heads (<see cref="CongruenceHeads"/>), delta = |e_s - e_t| per example, and the term is the batch mean of
/// delta_i . delta_(i+1) over consecutive examples of the batch. The teacher's head trains too; its features do not.
/// </summary>
public sealed class CorrelationCongruenceTerm(string point, int dimension) : IRepresentationTerm
{
    private CongruenceHeads? _heads;

    public IReadOnlyList<string> Points { get; } = [point];

    public nn.Module? Connector => _heads;

    public void Connect(ConnectorContext context)
    {
        _heads?.Dispose();
        manual_seed(context.Seed);
        long Features(IReadOnlyDictionary<string, long[]> shapes) => shapes[Points[0]].Aggregate(1L, (a, b) => a * b);
        _heads = new CongruenceHeads(Features(context.Student), Features(context.Teacher), dimension);
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var heads = _heads ?? throw new InvalidOperationException("CC's heads are built by Connect before the first step");
        using var scope = NewDisposeScope();
        var delta = heads.Student(student[Points[0]]).sub(heads.Teacher(teacher[Points[0]].detach())).abs();
        long n = delta.shape[0];
        return delta.narrow(0, 0, n - 1).mul(delta.narrow(0, 1, n - 1)).sum(1).mean().MoveToOuterDisposeScope();
    }
}

/// <summary>CC's two linear embeddings (RepDistiller's LinearEmbed), each model's flattened features to <c>dimension</c>.</summary>
public sealed class CongruenceHeads : nn.Module
{
    private readonly Linear embed_student;
    private readonly Linear embed_teacher;

    public CongruenceHeads(long studentFeatures, long teacherFeatures, int dimension) : base(nameof(CongruenceHeads))
    {
        embed_student = nn.Linear(studentFeatures, dimension);
        embed_teacher = nn.Linear(teacherFeatures, dimension);
        RegisterComponents();
    }

    public Tensor Student(Tensor features) => embed_student.call(features.flatten(1));

    public Tensor Teacher(Tensor features) => embed_teacher.call(features.flatten(1));
}
