using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`cc`: correlation congruence (Peng et al. 2019), as RepDistiller restructured the authors' code.</summary>
public sealed class CcMethod() : RepresentationMethod<CcParameters>("cc", revision: 1,
    "CC (Peng et al. 2019): both models' features at `point` embedded by trained linear heads of `dimension`, and the batch mean of |e_s - e_t|_i . |e_s - e_t|_(i+1) over consecutive examples (RepDistiller's Correlation); weight times that, plus ce-weight CE and kd-weight KD. Reads the embedding, which a cache can hold.")
{
    protected override IRepresentationTerm Term(CcParameters p) => new CorrelationCongruenceTerm(p.Point, p.Dimension);
}

/// <summary>`loss: { name: cc, ... }`: RepDistiller's published command (-b 0.02, feat_dim 128, the penultimate features).</summary>
public sealed record CcParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the congruence term.", Min = 0)] double Weight = 0.02,
    [Key("point", PointKey.Description)] string Point = "embedding",
    [Key("dimension", "Dimension both heads embed into.", Min = 1)] int Dimension = 128) : IRepresentationParameters;
