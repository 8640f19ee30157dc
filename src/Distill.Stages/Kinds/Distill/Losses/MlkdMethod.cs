using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`mlkd`: multi-level logit distillation (Jin, Wang and Lin, CVPR 2023).</summary>
public sealed class MlkdMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("mlkd",
        "MLKD (Jin et al., CVPR 2023): at each of `temperatures`, instance-level KD (T^2 KL), batch-level (the examples' Gram matrices of softmaxes) and class-level alignment (the classes'), scaled by the share of low-confidence examples and classes as the authors' code does; weight times their sum, plus ce-weight times the cross-entropy. The authors' weak and strong views are Distill's one view, read twice (the stage's own `temperature`, `beta`, `t-squared` and `student-temperature` do not apply).",
        ParameterRecords.Specs<MlkdParameters>()) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<MlkdParameters>(keys);
        return new MultiLevelLoss(p.Temperatures, p.Weight, p.CeWeight) { Standardized = stage.LogitStandardization };
    }
}

/// <summary>`loss: { name: mlkd, ... }`: the authors' temperatures (their T = 4 and 2, 3, 5, 6) and mdistiller's KD weights.</summary>
public sealed record MlkdParameters(
    [Key("temperatures", "The temperatures every level is aligned at (a list; Sun et al.'s MLKD with logit standardization uses 2, 3, 5, 2, 6).",
        Min = 0, ExclusiveMin = true, MinItems = 1, DefaultNumbers = [2, 3, 4, 5, 6])]
    IReadOnlyList<double> Temperatures = null!,
    [Key("weight", "Weight of each alignment term (the authors' KD_WEIGHT; 9 with logit standardization in Sun et al.'s runs).", Min = 0)] double Weight = 0.9,
    [Key("ce-weight", "Weight of each of the two cross-entropy terms (the authors' CE_WEIGHT).", Min = 0)] double CeWeight = 0.1);
