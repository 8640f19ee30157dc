using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`dist`: DIST (Huang et al. 2022), inter- and intra-class Pearson correlation of the softened outputs.</summary>
public sealed class DistMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("dist",
        "DIST (Huang et al. 2022): T^2 (beta inter-class + gamma intra-class) one minus the Pearson correlation of the softmaxes at `temperature`, plus ce-weight times the cross-entropy (the stage's own `beta`, `t-squared` and `student-temperature` do not apply).",
        ParameterRecords.Specs<DistParameters>()) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<DistParameters>(keys);
        return new CorrelationLoss(stage.Temperature, p.Beta, p.Gamma, p.CeWeight) { Standardized = stage.LogitStandardization };
    }
}

/// <summary>`loss: { name: dist, ... }`: the paper's CIFAR-100 settings (it uses T = 4 there; 1, 1, T = 1 on ImageNet).</summary>
public sealed record DistParameters(
    [Key("beta", "Weight of the inter-class term (each example's class distribution).", Min = 0)] double Beta = 2,
    [Key("gamma", "Weight of the intra-class term (each class across the batch).", Min = 0)] double Gamma = 2,
    [Key("ce-weight", "Weight of the cross-entropy with the labels.", Min = 0)] double CeWeight = 1);
