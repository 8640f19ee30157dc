using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>
/// A loss the distill stage's `loss` key can name: its catalogue entry (name, description, its own keys with defaults)
/// and how to build it for a stage. A new loss is one such class and one line in <see cref="DistillationLosses.All"/>.
/// </summary>
public interface IDistillationMethod
{
    VariantSpec Spec { get; }

    /// <summary>The loss for a stage: the stage's own parameters and the loss's keys (defaults filled in).</summary>
    IDistillationLoss Create(DistillParameters stage, ParameterSet keys);

    /// <summary>
    /// Why the student's and teacher's shapes (C x H x W or D, without the batch) at a point this method reads do not
    /// go together; null when they do. Methods that flatten or build their own connector accept any pair.
    /// </summary>
    string? ShapeProblem(string point, long[] student, long[] teacher) => null;
}

/// <summary>The distillation losses, by the name the `loss` key gives.</summary>
public static class DistillationLosses
{
    public const string Default = KdMethod.Name;

    public static IReadOnlyList<IDistillationMethod> All { get; } =
    [
        new KdMethod(),
        new DkdMethod(),
        new DistMethod(),
        new RkdMethod(),
        new PktMethod(),
        new SpMethod(),
        new CrdMethod(),
        new AtMethod(),
        new FitnetMethod(),
        new NstMethod(),
        new CcMethod(),
        new VidMethod(),
        new FspMethod(),
        new WttmMethod(),
        new MlkdMethod(),
        new CtkdMethod(),
        new ReviewKdMethod(),
        new OfdMethod(),
        new AbMethod(),
        new FtMethod(),
        new KdsvdMethod(),
    ];

    public static IReadOnlyCollection<string> Names => All.Select(m => m.Spec.Name).ToList();

    /// <summary>The choices of the distill kind's `loss` key (read by <see cref="ParameterRecords"/>).</summary>
    public static IReadOnlyList<VariantSpec> Variants => All.Select(m => m.Spec).ToList();

    /// <summary>The loss a distill stage's parameters name, with its keys.</summary>
    public static IDistillationLoss Create(DistillParameters stage) =>
        All.Single(m => m.Spec.Name == stage.Loss.Name).Create(stage, stage.Loss.Keys);
}
