using Distill.Analysis;
using Distill.Analysis.Calibration;
using Distill.Analysis.Plotting;
using Distill.Learning.Data;
using Distill.Pipelines.Catalogue;
using Distill.Runs;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;

namespace Distill.Stages.Kinds.Calibrate;

/// <summary>
/// `calibrate`: accuracy, NLL and expected calibration error of a cached model's logits on the eval split
/// at T = 1, then temperature scaling fitted on the fit split (never the eval split) and the same measures
/// at the fitted T. Writes two reliability diagrams and `calibration.json` (every number and bin).
/// </summary>
public sealed class CalibrateExecutor : StageExecutor<CalibrateParameters>
{
    public const string ReliabilityBefore = "reliability.png";
    public const string ReliabilityAfter = "reliability-scaled.png";
    public const string CalibrationJson = "calibration.json";

    public override StageKindSpec Spec => CalibrateKind.Definition;

    protected override StageResult Execute(StageContext context, CalibrateParameters p)
    {
        int bins = p.Bins;
        var fitSplit = ParseSplit(p.FitSplit);
        var evalSplit = ParseSplit(p.EvalSplit);
        if (fitSplit == evalSplit)
            throw new StageInputException($"stage '{context.Stage.Id}': fit-split and eval-split are both '{Name(fitSplit)}'");
        if (fitSplit == DataSplit.Test)
            throw new StageInputException($"stage '{context.Stage.Id}': the temperature is never fitted on the test split");

        var cache = context.Input("logits");
        var teacher = context.Completed(context.Lineage.ModelStage(context.Stage.Id)!.Id);
        var dataset = context.Data.Get(teacher.Definition.Dataset!);

        var (fitLogits, fitLabels) = ReadSplit(context, cache, teacher, dataset, fitSplit);
        var (evalLogits, evalLabels) = ReadSplit(context, cache, teacher, dataset, evalSplit);
        if (context.Stop.IsCancellationRequested) return StageResult.Stopped;

        var before = CalibrationMetrics.Summarize(evalLogits, evalLabels, 1.0, bins);
        var fit = TemperatureScaling.Fit(fitLogits, fitLabels);
        var after = CalibrationMetrics.Summarize(evalLogits, evalLabels, fit.Temperature, bins);
        double? alpha = context.Lineage.Alpha(context.Stage.Id);

        string who = alpha is { } a ? $"{teacher.Definition.Id} (alpha = {a:0.###})" : teacher.Definition.Id;
        AtomicFile.WriteAllBytes(context.Directory.OutputPath(ReliabilityBefore),
            ReliabilityDiagramPlot.Render(before.Reliability, $"{who}, {Name(evalSplit)}, T = 1"));
        AtomicFile.WriteAllBytes(context.Directory.OutputPath(ReliabilityAfter),
            ReliabilityDiagramPlot.Render(after.Reliability, $"{who}, {Name(evalSplit)}, T = {fit.Temperature:0.00}"));

        var document = new CalibrationDocument(
            context.Stage.Id, cache.Definition.Id, teacher.Definition.Id, alpha, bins, Name(fitSplit), Name(evalSplit),
            new TemperatureFitRecord(fitLabels.Length, fit.Temperature, fit.NegativeLogLikelihoodAtOne, fit.NegativeLogLikelihood, fit.AtSearchBoundary),
            Record(before), Record(after));
        AtomicFile.WriteJson(context.Directory.OutputPath(CalibrationJson), document);

        var metrics = new Dictionary<string, double>
        {
            [MetricNames.Accuracy] = before.Accuracy,
            [MetricNames.Nll] = before.NegativeLogLikelihood,
            [MetricNames.Ece] = before.ExpectedCalibrationError,
            [MetricNames.FittedTemperature] = fit.Temperature,
            [MetricNames.AccuracyScaled] = after.Accuracy,
            [MetricNames.NllScaled] = after.NegativeLogLikelihood,
            [MetricNames.EceScaled] = after.ExpectedCalibrationError,
            [MetricNames.FitNll] = fit.NegativeLogLikelihoodAtOne,
            [MetricNames.FitNllScaled] = fit.NegativeLogLikelihood,
            // Held-out ECE at T = 1: what the report chooses the best smoothed alpha by (never the eval split's, which may be test).
            [MetricNames.FitEce] = CalibrationMetrics.Summarize(fitLogits, fitLabels, 1.0, bins).ExpectedCalibrationError,
            [MetricNames.EvalExamples] = evalLabels.Length,
        };
        context.Observer.Info($"{context.Stage.Id}: ECE {before.ExpectedCalibrationError:0.0000} at T = 1, " +
            $"{after.ExpectedCalibrationError:0.0000} at T = {fit.Temperature:0.000} (fitted on {Name(fitSplit)})");
        return new StageResult(true, metrics);
    }

    /// <summary>The plain (view 0) logits of one split, checked against what the cache's teacher would produce, and their labels.</summary>
    private static (LogitMatrix Logits, int[] Labels) ReadSplit(StageContext context, StageInputRef cache, StageInputRef teacher,
        Data.PipelineDataset dataset, DataSplit split)
    {
        var images = dataset.Prepared.Get(split);
        int classes = dataset.Prepared.ClassNames.Count;
        if (images.Count == 0)
            throw new StageInputException($"stage '{context.Stage.Id}': the {Name(split)} split of dataset '{dataset.Definition.Name}' is empty");

        using var file = VerifiedLogitCache.Open(context, teacher, cache, dataset, split);
        // View 0 (the plain images) comes first in the file.
        var logits = LogitMatrix.FromFloats(file.GetRows(0, images.Count).ToArray(), classes);
        return (logits, images.Labels.Select(l => (int)l).ToArray());
    }

    private static DataSplit ParseSplit(string name) => Enum.Parse<DataSplit>(name, ignoreCase: true);

    private static string Name(DataSplit split) => split.ToString().ToLowerInvariant();

    private static CalibrationRecord Record(CalibrationSummary s) => new(
        s.Temperature, s.Accuracy, s.NegativeLogLikelihood, s.ExpectedCalibrationError, s.Reliability.ExampleCount,
        s.Reliability.Bins.Select(b => new BinRecord(b.Index, b.Lower, b.Upper, b.Count, b.MeanConfidence, b.Accuracy)).ToList());
}

/// <summary>The contents of a calibrate stage's `calibration.json`.</summary>
public sealed record CalibrationDocument(
    string Stage, string Cache, string Teacher, double? Alpha, int Bins, string FitSplit, string EvalSplit,
    TemperatureFitRecord Fit, CalibrationRecord Before, CalibrationRecord After);

/// <summary>Temperature scaling fitted on the fit split: T and the fit split's NLL at T = 1 and at T.</summary>
public sealed record TemperatureFitRecord(int Examples, double Temperature, double NllAtOne, double NllAtTemperature, bool AtSearchBoundary);

/// <summary>Accuracy, NLL and ECE on the eval split at one temperature, with the reliability diagram's bins.</summary>
public sealed record CalibrationRecord(double Temperature, double Accuracy, double Nll, double Ece, int Examples, IReadOnlyList<BinRecord> Bins);

/// <summary>One confidence bin (lower, upper]: its example count, mean confidence and accuracy.</summary>
public sealed record BinRecord(int Index, double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);
