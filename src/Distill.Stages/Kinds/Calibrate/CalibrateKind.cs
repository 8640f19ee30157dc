using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Calibrate;

/// <summary>`calibrate`: ECE, NLL and reliability diagrams of a model's logits, and temperature scaling.</summary>
public sealed class CalibrateKind : StageKind
{
    public const string Name = "calibrate";

    public static readonly StageKindSpec Definition = new(Name,
        "Measures calibration (ECE, NLL, reliability diagram) and fits temperature scaling.", StageReferences.None,
        ParameterRecords.Specs<CalibrateParameters>(),
        [new InputRoleSpec("logits", "The cache-logits or import-logits stage holding the model's logits.", [CacheLogitsKind.Name, ImportLogitsKind.Name], 1, 1, LeadsToModel: true)])
    {
        Revision = 1,
        Lineage = LineageRole.Derived,
        // calibration.json and the diagrams' titles name the stages.
        ResultNamesStages = true,
    };

    public override StageKindSpec Spec => Definition;

    /// <summary>Calibration reads splits that were cached (or imported), and never fits and measures on the same one.</summary>
    public override void Check(StageChecks checks, BoundStage stage)
    {
        var cache = checks.Single(stage, "logits");
        if (cache?.Kind is not (CacheLogitsKind.Name or ImportLogitsKind.Name)) return;
        var cacheKeys = ParameterSet.From(cache.Parameters);
        var splits = (cache.Kind == CacheLogitsKind.Name
            ? ParameterRecords.Read<CacheLogitsParameters>(cacheKeys).Splits
            : ParameterRecords.Read<ImportLogitsParameters>(cacheKeys).Splits) ?? [];
        var p = ParameterRecords.Read<CalibrateParameters>(ParameterSet.From(stage.Parameters));
        var dataset = checks.Dataset(checks.OriginBehind(stage)?.Dataset);
        // A split key the binder rejected is absent (its error is already reported): only keys present are checked.
        var given = new[] { ("fit-split", p.FitSplit), ("eval-split", p.EvalSplit) }.Where(k => stage.Parameters.ContainsKey(k.Item1)).ToList();
        foreach (var (key, split) in given)
        {
            if (!splits.Contains(split))
                checks.Error(stage, $"{key} '{split}' is not among the splits {(cache.Kind == ImportLogitsKind.Name ? "imported" : "cached")} by '{cache.Id}' ({string.Join(", ", splits)})", key);
            else if (split == "validation" && dataset is not null && dataset.Parameters.GetInt("validation") == 0)
                checks.Error(stage, $"{key} is 'validation' but dataset '{dataset.Name}' has no validation split (set its 'validation' count)", key);
        }
        if (given.Count == 2 && p.FitSplit == p.EvalSplit)
            checks.Error(stage, $"eval-split must differ from fit-split ('{p.FitSplit}'): fitting and measuring on the same examples flatters the result", "eval-split");
    }

    public override IStageExecutor CreateExecutor() => new CalibrateExecutor();

    public override IStageReportSection CreateReportSection() => new CalibrateReportSection();

    public override IEnumerable<object> ReadResults(ResultReader reader, IReadOnlyList<StageInputRef> stages) => CalibrationResults.Read(reader, stages);

    public override int ReportOrder => 20;
}

/// <summary>`calibrate` (see <see cref="CalibrateKind.Definition"/>).</summary>
public sealed record CalibrateParameters(
    [Key("bins", "Equal-width confidence bins for ECE and the reliability diagram.", Min = 2)] int Bins = 15,
    [Key("fit-split", "Split the scaling temperature is fitted on (never test).", Values = ["train", "validation"], Checked = "cached by the input; validation needs the dataset's `validation` > 0")] string FitSplit = "validation",
    [Key("eval-split", "Split calibration is measured on.", Values = ["train", "validation", "test"], Checked = "cached by the input; differs from `fit-split`")] string EvalSplit = "test");
