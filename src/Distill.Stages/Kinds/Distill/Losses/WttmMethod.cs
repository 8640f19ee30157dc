using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`wttm`: weighted transformed teacher matching (Zheng and Yang, ICLR 2024).</summary>
public sealed class WttmMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("wttm",
        "WTTM (Zheng and Yang, ICLR 2024): the teacher's probabilities raised to the power 1 / `temperature` and renormalised, matched by the student at T = 1, each example weighed by the sum of the powered probabilities (large where the teacher is smooth); weight times that, plus ce-weight times the cross-entropy (the stage's own `beta`, `t-squared` and `student-temperature` do not apply). The authors' --ttm_l 0.2 is `temperature: 5`.",
        ParameterRecords.Specs<WttmParameters>()) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<WttmParameters>(keys);
        return new TransformedTeacherLoss(1 / stage.Temperature, p.Weight, p.CeWeight) { Standardized = stage.LogitStandardization };
    }
}

/// <summary>`loss: { name: wttm, ... }`: the authors' README runs WTTM at --ttm_l 0.2 with weight 4 (beside CRD there); the paper tunes both per pair.</summary>
public sealed record WttmParameters(
    [Key("weight", "Weight of the weighted matching term (the authors' -b, or -a beside another method).", Min = 0)] double Weight = 4,
    [Key("ce-weight", "Weight of the cross-entropy with the labels (the authors' -r).", Min = 0)] double CeWeight = 1);
