using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`ctkd`: curriculum temperature for knowledge distillation (Li et al., AAAI 2023), its global temperature.</summary>
public sealed class CtkdMethod : IDistillationMethod
{
    public VariantSpec Spec { get; } = new("ctkd",
        "CTKD (Li et al., AAAI 2023): KD (T^2 KL, teacher and student at T) with T = min-temperature + temperature-range * sigmoid(theta), theta learned with the student through a gradient reversal whose strength grows along a half cosine from 0 to max-reversal over curriculum-epochs, so T climbs the loss the student descends; weight times that, plus ce-weight times the cross-entropy. The temperature is checkpointed with the student and recorded as learned_temperature (the stage's own `temperature`, `beta`, `t-squared` and `student-temperature` do not apply).",
        ParameterRecords.Specs<CtkdParameters>()) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys)
    {
        var p = ParameterRecords.Read<CtkdParameters>(keys);
        var curriculum = new CurriculumTemperature(p.MinTemperature, p.TemperatureRange, p.MaxReversal, p.CurriculumEpochs);
        return new CurriculumTemperatureLoss(curriculum, p.Weight, p.CeWeight) { Standardized = stage.LogitStandardization };
    }
}

/// <summary>`loss: { name: ctkd, ... }`: the authors' CIFAR-100 command (-r 0.1 -a 0.9, t_start 1, t_end 20, decay 0 to -1 over 10 epochs).</summary>
public sealed record CtkdParameters(
    [Key("weight", "Weight of the KD term (the authors' -a).", Min = 0)] double Weight = 0.9,
    [Key("ce-weight", "Weight of the cross-entropy with the labels (the authors' -r).", Min = 0)] double CeWeight = 0.1,
    [Key("min-temperature", "The lowest temperature (the authors' t_start).", Min = 0, ExclusiveMin = true)] double MinTemperature = 1,
    [Key("temperature-range", "How far above min-temperature T can go (the authors' t_end); T starts at min + range * sigmoid(1).", Min = 0, ExclusiveMin = true)] double TemperatureRange = 20,
    [Key("max-reversal", "The gradient reversal's final strength (minus the authors' decay_min).", Min = 0)] double MaxReversal = 1,
    [Key("curriculum-epochs", "Epochs over which the reversal grows to max-reversal (the authors' decay_loops).", Min = 1)] int CurriculumEpochs = 10);
