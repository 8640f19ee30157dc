using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Graph;

/// <summary>
/// What stands behind a stage of a resolved pipeline: the train stage whose model produced what it reads (or the
/// import-logits stage that brought a teacher's logits from elsewhere, which stands in for one),
/// that stage's label smoothing alpha, a student's temperature, the dataset. Read from the definitions,
/// following each kind's <see cref="InputRoleSpec.LeadsToModel"/> role, never from results.
/// </summary>
public sealed class Lineage(PipelineDefinition pipeline)
{
    /// <summary>
    /// The train stage a stage descends from: itself; the teacher of a cache-logits or distill stage (through
    /// its cache); the model behind a calibrate stage's logits. Null where there is none (project, report).
    /// </summary>
    public StageDefinition? TrainStage(string stageId)
    {
        var stage = pipeline.Stage(stageId);
        // Each step goes one edge upstream; a resolved pipeline has no cycles, so this ends.
        while (Role(stage) != LineageRole.Origin)
        {
            var role = Spec(stage)?.Inputs.FirstOrDefault(r => r.LeadsToModel);
            if (role is null || !stage.Inputs.TryGetValue(role.Role, out var ids) || ids.Count == 0) return null;
            stage = pipeline.Stage(ids[0]);
        }
        return stage;
    }

    /// <summary>
    /// The stage whose trained model a stage reads: itself for a train or distill stage; the model behind a cache-logits
    /// stage (a teacher, or a student whose logits were cached); the model behind a calibrate stage's logits. Unlike
    /// <see cref="TrainStage"/> it stops at a student instead of walking on to the student's teacher.
    /// </summary>
    public StageDefinition? ModelStage(string stageId)
    {
        var stage = pipeline.Stage(stageId);
        while (Role(stage) is not (LineageRole.Origin or LineageRole.Model))
        {
            var role = Spec(stage)?.Inputs.FirstOrDefault(r => r.LeadsToModel);
            if (role is null || !stage.Inputs.TryGetValue(role.Role, out var ids) || ids.Count == 0) return null;
            stage = pipeline.Stage(ids[0]);
        }
        return stage;
    }

    /// <summary>The model stage behind one of a stage's direct inputs (the teacher behind a student's cache).</summary>
    public StageDefinition? ModelStageOfInput(string stageId, string role) =>
        pipeline.Stage(stageId).Inputs.TryGetValue(role, out var ids) && ids.Count > 0 ? ModelStage(ids[0]) : null;

    /// <summary>Label smoothing alpha of the train stage behind a stage; null when there is none.</summary>
    public double? Alpha(string stageId) => TrainStage(stageId) is { } origin ? Spec(origin)?.LabelSmoothing?.Invoke(origin.Parameters) : null;

    /// <summary>The teacher temperature a stage was trained at (distill); null for other kinds.</summary>
    public double? Temperature(string stageId)
    {
        var stage = pipeline.Stage(stageId);
        return Spec(stage)?.Temperature?.Invoke(stage.Parameters);
    }

    private StageKindSpec? Spec(StageDefinition stage) => pipeline.Catalogue.Find(stage.Kind);

    private LineageRole Role(StageDefinition stage) => Spec(stage)?.Lineage ?? LineageRole.None;

    /// <summary>The dataset a stage's data comes from: its own, else that of the train stage behind it.</summary>
    public string? Dataset(string stageId) => pipeline.Stage(stageId).Dataset ?? TrainStage(stageId)?.Dataset;
}
