using Distill.Learning.Training;
using Distill.Pipelines;

namespace Distill.Stages.Distillation;

/// <summary>
/// The distill stage's losses, by the name its `loss` key gives (the catalogue lists the names and their
/// keys). A new loss of logits is one <see cref="IDistillationLoss"/> class, one catalogue entry and one line here.
/// </summary>
public static class DistillationLosses
{
    private static readonly Dictionary<string, Func<ParameterSet, ParameterSet, IDistillationLoss>> Factories = new(StringComparer.Ordinal)
    {
        ["kd"] = (stage, _) => new SoftTargetLoss(stage.GetDouble("temperature"), stage.GetDouble("beta"), stage.GetBool("t-squared")),
        ["dkd"] = (stage, loss) => new DecoupledLoss(stage.GetDouble("temperature"), loss.GetDouble("alpha"), loss.GetDouble("beta"), loss.GetDouble("ce-weight")),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>The loss a distill stage's parameters name, with its keys.</summary>
    public static IDistillationLoss Create(ParameterSet stageParameters)
    {
        var loss = stageParameters.GetMap("loss");
        return Factories[loss.GetString("name")](stageParameters, loss);
    }
}
