using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Distill;

/// <summary>`distill`: a student trained on a teacher's temperature-softened outputs, from a cache or a live teacher.</summary>
public sealed class DistillKind : StageKind
{
    public const string Name = "distill";

    public static readonly StageKindSpec Definition = new(Name,
        "Trains a student on a teacher's temperature-softened outputs.", StageReferences.DatasetAndModel,
        [
            .. TrainingKeys.All,
            P.Num("temperature", 1, "Teacher temperature T: targets are softmax(z / T).", min: 0, exMin: true),
            P.Num("student-temperature", 1, "Student temperature T_s in the teacher term H(p_t(T), softmax(z_s / T_s)): 1 as in the paper; Hinton et al.'s form sets it to T (`${temperature}` in a matrix), usually with `t-squared`. `kd` only.", min: 0, exMin: true),
            P.Num("beta", 1, "Weight of the teacher term; (1 - beta) weighs the hard-label term.", min: 0, max: 1),
            P.Bool("t-squared", false, "Multiply the teacher term by T^2 (Hinton et al.)."),
            P.Variant("loss", DistillationLosses.Default, "The distillation loss, by name; a map `{ name: ..., <its keys> }` sets its own keys.",
                [.. DistillationLosses.All.Select(m => m.Spec)]),
            P.Enum("teacher-source", "cache", "Read the teacher's logits from a cache-logits stage, or run a train stage live.", "cache", "live"),
            TrainingKeys.Views,
        ],
        [new InputRoleSpec("teacher", "A cache-logits or import-logits stage (teacher-source: cache) or a train stage (teacher-source: live).", [CacheLogitsKind.Name, ImportLogitsKind.Name, TrainKind.Name], 1, 1, LeadsToModel: true)])
    {
        Lineage = LineageRole.Model,
        Temperature = p => p.GetDouble("temperature"),
    };

    public override StageKindSpec Spec => Definition;

    public override void Check(StageChecks checks, BoundStage stage)
    {
        var teacher = checks.Single(stage, "teacher");
        if (teacher?.Kind is null || stage.Parameters.GetValueOrDefault("teacher-source") is not string source) return;
        string[] wanted = source == "cache" ? [CacheLogitsKind.Name, ImportLogitsKind.Name] : [TrainKind.Name];
        if (!wanted.Contains(teacher.Kind))
        {
            checks.InputError(stage, "teacher",
                $"stage '{stage.Id}' has teacher-source '{source}', so inputs.teacher must be a {string.Join(" or ", wanted)} stage; '{teacher.Id}' is a {teacher.Kind} stage");
            return;
        }
        if (teacher.Kind == ImportLogitsKind.Name && stage.Parameters.GetValueOrDefault("views") is int many && many > 1)
            checks.Error(stage, $"views {many} is more than the 1 view imported by '{teacher.Id}' (imported logits are of the plain images)", "views");
        var trained = checks.OriginBehind(stage);
        if (trained?.Dataset is { } teacherData && stage.Dataset is { } own && teacherData != own)
            checks.Error(stage,
                $"stage '{stage.Id}' uses dataset '{own}' but its teacher '{trained.Id}' was trained on '{teacherData}'; teacher outputs are per example, so they must match", "dataset");
        if (source == "cache" && stage.Parameters.GetValueOrDefault("views") is int views
            && teacher.Parameters.GetValueOrDefault("views") is int cached && views > cached)
            checks.Error(stage, $"views {views} is more than the {cached} view(s) cached by '{teacher.Id}'", "views");
    }

    public override IStageExecutor CreateExecutor() => new DistillExecutor();

    public override IStageReportSection CreateReportSection() => new DistillReportSection();

    public override IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => StudentResults.Read(reader, stages);

    public override int ReportOrder => 40;
}

/// <summary>A distill stage's loss: its name and its own keys (the catalogue's variant fields, defaults filled in).</summary>
public sealed record LossParameters(string Name, ParameterSet Keys);

/// <summary>`distill` (see <see cref="DistillKind.Definition"/>).</summary>
public sealed record DistillParameters(
    TrainingParameters Training, double Temperature, double StudentTemperature, double Beta, bool TSquared, LossParameters Loss, bool LiveTeacher, int Views)
    : IStageParameters<DistillParameters>
{
    public static DistillParameters From(ParameterSet p)
    {
        var loss = p.GetMap("loss");
        return new(TrainingParameters.From(p), p.GetDouble("temperature"), p.GetDouble("student-temperature"), p.GetDouble("beta"), p.GetBool("t-squared"),
            new LossParameters(loss.GetString("name"), loss), p.GetString("teacher-source") == "live", p.GetInt("views"));
    }
}
