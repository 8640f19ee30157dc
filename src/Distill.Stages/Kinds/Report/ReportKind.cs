using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Stages.Kinds.Report;

/// <summary>`report`: the results of the stages it reads, gathered into one HTML and Markdown report.</summary>
public sealed class ReportKind : StageKind
{
    public const string Name = "report";

    public static readonly StageKindSpec Definition = new(Name,
        "Gathers the results of the stages it reads into one HTML and Markdown report.", StageReferences.None,
        ParameterRecords.Specs<ReportParameters>(),
        [])
    {
        Revision = 1,
        AnyInputRoles = true,
        ResultNamesPipeline = true,
        ResultNamesStages = true,
    };

    public override StageKindSpec Spec => Definition;

    public override IStageExecutor CreateExecutor() => new ReportExecutor();

    /// <summary>`compare-with` reads another run: its stages' current keys (or its absence) are part of the report's key.</summary>
    public override string ReadsBeyondInputs(StageDefinition stage, string runsRoot)
    {
        if (ParameterRecords.Read<ReportParameters>(stage.Parameters).CompareWith is not { } earlier) return "";
        var run = RunDirectory.Locate(runsRoot, earlier);
        var keys = run.ExistingStageIds().Select(id => $"{id}={run.ReadPointer(id)?.Key}");
        return $"compare-with {earlier}: " + (Directory.Exists(run.RootPath) ? string.Join(",", keys) : "no such run");
    }
}

/// <summary>`report` (see <see cref="ReportKind.Definition"/>).</summary>
public sealed record ReportParameters(
    [Key("title", "Report title; default: the pipeline name.")] string? Title = null,
    [Key("compare-with", "Name of an earlier run under the same runs root: the report adds a section with the stages whose settings or final metrics differ from it (as `distill compare`); that run's stage keys are part of the report's key, so a changed earlier run gives a new report.", Pattern = PipelineKeys.NamePattern)]
    string? CompareWith = null,
    [Key("published", "A CSV of published results to set beside Distill's (columns setting,top1,rule,source: a replicate group such as resnet20-kd, its top-1 % as published, the epoch rule of that table, and where it is from); the teachers' and methods' tables get a Published column. Relative to the pipeline file.", HashesFiles = true, Checked = "must exist")]
    string? Published = null);
