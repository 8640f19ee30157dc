using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`dkd`: decoupled knowledge distillation (Zhao et al. 2022).</summary>
public sealed class DkdMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("dkd",
        "Decoupled KD (Zhao et al. 2022): T^2 (alpha TCKD + beta NCKD) at `temperature`, plus ce-weight times the cross-entropy with the labels (the stage's own `beta`, `t-squared` and `student-temperature` do not apply).",
        [
            P.Num("alpha", 1, "Weight of the target-class term (TCKD).", min: 0),
            P.Num("beta", 8, "Weight of the non-target-class term (NCKD); the paper uses 8 on CIFAR-100.", min: 0),
            P.Num("ce-weight", 1, "Weight of the cross-entropy with the labels.", min: 0),
        ]);

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys) =>
        new DecoupledLoss(stage.Temperature, keys.GetDouble("alpha"), keys.GetDouble("beta"), keys.GetDouble("ce-weight"));
}
