using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Project;

/// <summary>`project`: penultimate-layer activations projected on the plane of three class templates (paper Fig. 1).</summary>
public sealed class ProjectKind : StageKind
{
    public const string Name = "project";

    public static readonly StageKindSpec Definition = new(Name,
        "Projects penultimate-layer activations onto the plane of three class templates.", StageReferences.None,
        ParameterRecords.Specs<ProjectParameters>(),
        [new InputRoleSpec("models", "One or two train or distill stages (e.g. without / with label smoothing) on the same dataset.", [TrainKind.Name, DistillKind.Name], 1, 2)])
    {
        Revision = 1,
        // Its metrics, table and panels are named after the model stages.
        ResultNamesStages = true,
    };

    public override StageKindSpec Spec => Definition;

    /// <summary>The projected models share a dataset, whose class names the class list is resolved against.</summary>
    public override void Check(StageChecks checks, BoundStage stage)
    {
        var models = checks.All(stage, "models").Where(s => s.Kind is TrainKind.Name or DistillKind.Name).ToList();
        if (models.Count == 0) return;
        var names = models.Select(m => m.Dataset).Distinct().ToList();
        if (names.Count > 1)
        {
            checks.Error(stage, $"the models projected by '{stage.Id}' were trained on different datasets ({string.Join(", ", names)})", "inputs", "models");
            return;
        }
        if (checks.Dataset(names[0]) is { } dataset) checks.ResolveClasses(stage, dataset, "classes");
    }

    public override IStageExecutor CreateExecutor() => new ProjectExecutor();

    public override IStageReportSection CreateReportSection() => new ProjectReportSection();

    public override IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => ProjectionResults.Read(reader, stages);

    public override int ReportOrder => 30;
}

/// <summary>`project` (see <see cref="ProjectKind.Definition"/>).</summary>
public sealed record ProjectParameters(
    [Key("classes", "The three classes (names or 0-based indices) whose templates span the plane.", DefaultClasses = [0, 1, 2], Checked = "known to the dataset")]
    IReadOnlyList<object> Classes = null!,
    [Key("examples-per-class", "Examples drawn from each class per split.", Min = 1)] int ExamplesPerClass = 100);
