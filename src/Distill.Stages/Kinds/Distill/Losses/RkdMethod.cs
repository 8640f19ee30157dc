using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`rkd`: relational KD (Park et al. 2019), distance and angle terms of the batch's embeddings.</summary>
public sealed class RkdMethod() : RepresentationMethod<RkdParameters>("rkd", revision: 1,
    "RKD (Park et al. 2019): Huber losses between the two models' normalised pairwise distances (weight `distance`) and triplet angles (weight `angle`) of the batch at `point`; weight times that, plus ce-weight CE and kd-weight KD.")
{
    protected override IRepresentationTerm Term(RkdParameters p) => new RelationalTerm(p.Point, p.Distance, p.Angle);
}

/// <summary>`loss: { name: rkd, ... }`: the paper's 25 and 50, RepDistiller's weight 1.</summary>
public sealed record RkdParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the relational term.", Min = 0)] double Weight = 1,
    [Key("distance", "Weight of the distance term within it.", Min = 0)] double Distance = 25,
    [Key("angle", "Weight of the angle term within it.", Min = 0)] double Angle = 50,
    [Key("point", PointKey.Description)] string Point = "embedding") : IRepresentationParameters;
