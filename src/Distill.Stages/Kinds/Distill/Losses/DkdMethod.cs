using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`dkd`: decoupled knowledge distillation (Zhao et al. 2022).</summary>
public sealed class DkdMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("dkd",
        "Decoupled KD (Zhao et al. 2022): T^2 (alpha TCKD + beta NCKD) at `temperature`, plus ce-weight times the cross-entropy with the labels (the stage's own `beta`, `t-squared` and `student-temperature` do not apply).",
        ParameterRecords.Specs<DkdParameters>()) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<DkdParameters>(keys);
        return new DecoupledLoss(stage.Temperature, p.Alpha, p.Beta, p.CeWeight) { Standardized = stage.LogitStandardization };
    }
}

/// <summary>`loss: { name: dkd, ... }`.</summary>
public sealed record DkdParameters(
    [Key("alpha", "Weight of the target-class term (TCKD).", Min = 0)] double Alpha = 1,
    [Key("beta", "Weight of the non-target-class term (NCKD); the paper uses 8 on CIFAR-100.", Min = 0)] double Beta = 8,
    [Key("ce-weight", "Weight of the cross-entropy with the labels.", Min = 0)] double CeWeight = 1);
