using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// A term between the two models' representations, the part of a feature or embedding method that is its own; the
/// batch mean, before the method's weight.
/// </summary>
public interface IRepresentationTerm
{
    /// <summary>The feature points read from both models (the embedding, or stages' outputs).</summary>
    IReadOnlyList<string> Points { get; }

    /// <summary>The teacher's points, where they differ from the student's (ReviewKD reads its pre-activation maps).</summary>
    IReadOnlyList<string> TeacherPoints => Points;

    /// <summary>See <see cref="IDistillationLoss.Connector"/>.</summary>
    nn.Module? Connector => null;

    /// <summary>See <see cref="IDistillationLoss.Connect"/>.</summary>
    void Connect(ConnectorContext context) { }

    /// <summary>See <see cref="IDistillationLoss.Pretraining"/>.</summary>
    IConnectorPretraining? Pretraining => null;

    Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch);
}

/// <summary>A term of one feature point, the same in both models.</summary>
public abstract class SinglePointTerm(string point) : IRepresentationTerm
{
    public string Point { get; } = point;

    public IReadOnlyList<string> Points => [Point];

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch) => Loss(student[Point], teacher[Point]);

    public abstract Tensor Loss(Tensor student, Tensor teacher);
}

/// <summary>
/// The objective of RepDistiller's train_student.py, which the representation methods are published with:
/// ceWeight H(y, p_s) + kdWeight KD(T) + weight term(student, teacher). RepDistiller's runs of these methods use
/// ceWeight 1 and kdWeight 0, each method with its own weight.
/// </summary>
public sealed class RepresentationLoss(IRepresentationTerm term, double weight, double crossEntropyWeight, double kdWeight, double temperature) : IDistillationLoss
{
    public double TaskWeight => crossEntropyWeight;

    public IRepresentationTerm Term { get; } = term;

    public IReadOnlyCollection<string> StudentPoints => Term.Points;

    public IReadOnlyCollection<string> TeacherPoints => Term.TeacherPoints;

    public nn.Module? Connector => Term.Connector;

    public void Connect(ConnectorContext context) => Term.Connect(context);

    public IConnectorPretraining? Pretraining => Term.Pretraining;

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var loss = Term.Loss(student, teacher, batch).mul(weight);
        if (crossEntropyWeight > 0) loss = loss.add(nn.functional.cross_entropy(student.Logits, batch.Labels).mul(crossEntropyWeight));
        if (kdWeight > 0)
            loss = loss.add(SoftTargetLoss.SoftCrossEntropy(teacher.Logits, temperature, student.Logits, temperature).mul(kdWeight * temperature * temperature));
        return loss.MoveToOuterDisposeScope();
    }
}
