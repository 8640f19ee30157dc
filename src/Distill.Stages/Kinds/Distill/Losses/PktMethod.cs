using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`pkt`: probabilistic knowledge transfer (Passalis and Tefas 2018).</summary>
public sealed class PktMethod() : RepresentationMethod<PktParameters>("pkt", revision: 1,
    "PKT (Passalis and Tefas 2018): KL divergence between the two models' distributions of cosine similarities within the batch at `point`; weight times that, plus ce-weight CE and kd-weight KD.")
{
    protected override IRepresentationTerm Term(PktParameters p) => new ProbabilisticTransferTerm(p.Point);
}

/// <summary>`loss: { name: pkt, ... }`: RepDistiller's weight 30000.</summary>
public sealed record PktParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the probabilistic term.", Min = 0)] double Weight = 30000,
    [Key("point", PointKey.Description)] string Point = "embedding") : IRepresentationParameters;
