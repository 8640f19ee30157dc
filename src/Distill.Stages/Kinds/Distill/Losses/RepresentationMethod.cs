using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>
/// A method of RepDistiller's form, ce-weight CE + kd-weight KD(T) + weight term: its keys are the record
/// <typeparamref name="TParameters"/>, which holds the term's weight and keys and the shared <see cref="RepresentationWeights"/>.
/// </summary>
/// <param name="revision">The implementation revision of the method's code (<see cref="VariantSpec.Revision"/>).</param>
public abstract class RepresentationMethod<TParameters>(string name, int revision, string description) : IDistillationMethod
    where TParameters : IRepresentationParameters
{
    public VariantSpec Spec { get; } = new(name, description, ParameterRecords.Specs<TParameters>()) { Revision = revision };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<TParameters>(keys);
        return new RepresentationLoss(Term(p), p.Weight, p.Weights.CeWeight, p.Weights.KdWeight, stage.Temperature);
    }

    protected abstract IRepresentationTerm Term(TParameters p);

    public virtual string? ShapeProblem(string point, long[] student, long[] teacher) => null;
}

/// <summary>A representation method's keys: the term's weight and the weights of the label and KD terms beside it.</summary>
public interface IRepresentationParameters
{
    double Weight { get; }
    RepresentationWeights Weights { get; }
}

/// <summary>The terms beside a representation method's own, with RepDistiller's defaults for these methods (-r 1 -a 0).</summary>
public sealed record RepresentationWeights(
    [Key("ce-weight", "Weight of the cross-entropy with the labels.", Min = 0)] double CeWeight = 1,
    [Key("kd-weight", "Weight of a KD term at the stage's `temperature` (times T^2) beside the method's own; 0 in the published runs.", Min = 0)] double KdWeight = 0);

/// <summary>The `point` key of a method that reads one feature point of both models (checked against the two models' points).</summary>
public static class PointKey
{
    public const string Description = "The feature point both models are read at: `embedding` (the penultimate activation, which a cache can hold) or a stage's output such as `stage3`; any shapes, flattened per example.";
}
