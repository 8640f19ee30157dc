using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`sp`: similarity-preserving KD (Tung and Mori 2019).</summary>
public sealed class SpMethod() : RepresentationMethod<SpParameters>("sp", revision: 1,
    "SP (Tung and Mori 2019): squared Frobenius distance between the two models' row-normalised batch similarity matrices at `point`, over b^2; weight times that, plus ce-weight CE and kd-weight KD. RepDistiller reads the last stage's map (`point: stage3`); the embedding default can be cached.")
{
    protected override IRepresentationTerm Term(SpParameters p) => new SimilarityPreservingTerm(p.Point);
}

/// <summary>`loss: { name: sp, ... }`: RepDistiller's weight 3000.</summary>
public sealed record SpParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the similarity term.", Min = 0)] double Weight = 3000,
    [Key("point", PointKey.Description)] string Point = "embedding") : IRepresentationParameters;
