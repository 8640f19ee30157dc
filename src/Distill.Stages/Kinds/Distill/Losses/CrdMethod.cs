using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`crd`: contrastive representation distillation (Tian et al. 2020), NCE against a memory of every example's embeddings.</summary>
public sealed class CrdMethod() : RepresentationMethod<CrdParameters>("crd", revision: 1,
    "CRD (Tian et al. 2020): both models' features at `point` projected by trained linear heads onto a unit sphere of `dimension` and contrasted by NCE at `nce-temperature` against a memory of every training example's embeddings (momentum `memory-momentum`): the example itself the positive, `negatives` examples of other classes (without replacement while there are enough) the negatives; weight times that, plus ce-weight CE and kd-weight KD. The scores hold batch x (negatives + 1) x dimension values per model: at the published 16384 negatives and batch 64, about 1 GiB.")
{
    protected override IRepresentationTerm Term(CrdParameters p) => new ContrastiveTerm(p.Point, p.Dimension, p.Negatives, p.NceTemperature, p.MemoryMomentum);
}

/// <summary>`loss: { name: crd, ... }`: RepDistiller's published CIFAR-100 runs (-b 0.8, feat_dim 128, nce_k 16384, nce_t 0.07, nce_m 0.5).</summary>
public sealed record CrdParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the contrastive term.", Min = 0)] double Weight = 0.8,
    [Key("point", PointKey.Description)] string Point = "embedding",
    [Key("dimension", "Dimension of the common space both heads project onto.", Min = 1)] int Dimension = 128,
    [Key("negatives", "Negatives per example, drawn from the other classes' examples.", Min = 1)] int Negatives = 16384,
    [Key("nce-temperature", "Temperature of the scores exp(m . v / T).", Min = 0, ExclusiveMin = true)] double NceTemperature = 0.07,
    [Key("memory-momentum", "Share of a memory row kept at each update (the rest is the example's new embedding).", Min = 0, Max = 1, ExclusiveMax = true)] double MemoryMomentum = 0.5) : IRepresentationParameters;
