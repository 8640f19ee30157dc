using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Engine;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds.Calibrate;

/// <summary>
/// A calibrate stage's results on its eval split, before and after temperature scaling, and <see cref="FitEce"/>, the ECE
/// at T = 1 on the split the temperature was fitted on (held-out data: what a smoothed alpha is chosen by, never test).
/// <see cref="Model"/> is the calibrated model's stage (a teacher, or a student: <see cref="OfStudent"/>); <see cref="Alpha"/>
/// the smoothing of the train stage behind it.
/// </summary>
public sealed record CalibrationResult(string Id, int? Replicate, string Group, string? Model, bool OfStudent, double Alpha, double Accuracy, double Ece, double FittedTemperature,
    double EceScaled, double Nll, double NllScaled, double FitEce, int Bins, string EvalSplit, string FitSplit) : IReplicated;

/// <summary>Reads calibrate stages' results for reports.</summary>
internal static class CalibrationResults
{
    public static IEnumerable<CalibrationResult> Read(ResultReader r, IReadOnlyList<StageInputRef> stages) =>
        stages.Select(c =>
            {
                var p = ParameterRecords.Read<CalibrateParameters>(c.Definition.Parameters);
                var model = r.Lineage.ModelStage(c.Definition.Id);
                return new CalibrationResult(c.Definition.Id, r.ReplicateOf(c.Definition.Id), r.GroupOf(c.Definition.Id), model?.Id, model?.Kind == Distill.DistillKind.Name, r.AlphaOf(c.Definition.Id),
                    ResultReader.Metric(c, MetricNames.Accuracy), ResultReader.Metric(c, MetricNames.Ece), ResultReader.Metric(c, MetricNames.FittedTemperature), ResultReader.Metric(c, MetricNames.EceScaled),
                    ResultReader.Metric(c, MetricNames.Nll), ResultReader.Metric(c, MetricNames.NllScaled), ResultReader.Metric(c, MetricNames.FitEce), p.Bins, p.EvalSplit, p.FitSplit);
            })
            .OrderBy(c => c.Alpha).ThenBy(c => c.Id, StringComparer.Ordinal);
}
