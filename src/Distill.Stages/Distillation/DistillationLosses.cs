using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Distillation;

/// <summary>
/// The distill stage's losses, by the name its `loss` key gives (the catalogue lists the names and their
/// keys). A new loss of logits is one <see cref="IDistillationLoss"/> class, one catalogue entry and one line here.
/// </summary>
public static class DistillationLosses
{
    private static readonly Dictionary<string, Func<DistillParameters, ParameterSet, IDistillationLoss>> Factories = new(StringComparer.Ordinal)
    {
        ["kd"] = (stage, _) => new SoftTargetLoss(stage.Temperature, stage.StudentTemperature, stage.Beta, stage.TSquared),
        ["dkd"] = (stage, keys) =>
        {
            var dkd = DecoupledLossParameters.From(keys);
            return new DecoupledLoss(stage.Temperature, dkd.Alpha, dkd.Beta, dkd.CrossEntropyWeight);
        },
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>The loss a distill stage's parameters name, with its keys.</summary>
    public static IDistillationLoss Create(DistillParameters stage) => Factories[stage.Loss.Name](stage, stage.Loss.Keys);
}
