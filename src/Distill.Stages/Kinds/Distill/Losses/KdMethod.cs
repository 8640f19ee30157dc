using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`kd`: Hinton et al. (2015), the stage's own temperature, student temperature, beta and t-squared.</summary>
public sealed class KdMethod : IDistillationMethod
{
    public const string Name = "kd";

    public VariantSpec Spec { get; } = new(Name,
        "Hinton et al. (2015): the teacher's targets softened at `temperature`, the student read at `student-temperature`, weighed by `beta` against the labels, times T^2 with `t-squared`.", []) { Revision = 1 };

    public IDistillationLoss Create(DistillParameters stage, ParameterSet keys) =>
        new SoftTargetLoss(stage.Temperature, stage.StudentTemperature, stage.Beta, stage.TSquared)
        {
            Standardized = stage.LogitStandardization, Divergence = stage.Divergence, JsdBeta = stage.JsdBeta,
        };
}
