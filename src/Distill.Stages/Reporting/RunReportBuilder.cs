using System.Globalization;
using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Runs;
using Distill.Stages.Engine;
using static Distill.Stages.Reporting.Findings;

namespace Distill.Stages.Reporting;

/// <summary>What a report found: the document, each finding's verdict and the number of figures.</summary>
public sealed record RunReport(ReportDocument Document, IReadOnlyList<FindingVerdict> Verdicts, int Figures);

/// <summary>
/// Builds the run report from the run store alone: the manifests (final and per-epoch metrics) and output files
/// of completed stages, plus the pipeline's definitions to know which teacher each stage descends from. Nothing
/// is recomputed from models or data. Sections whose stages are absent are skipped with a note.
/// </summary>
public sealed class RunReportBuilder(PipelineDefinition pipeline, IReadOnlyList<StageInputRef> stages)
{
    private readonly List<FindingVerdict> _verdicts = [];

    private IEnumerable<StageInputRef> OfKind(string kind) => stages.Where(s => s.Definition.Kind == kind);

    public RunReport Build(string title, string? note)
    {
        var teachers = OfKind(StageKinds.Train).OrderBy(Alpha).ThenBy(s => s.Definition.Id, StringComparer.Ordinal).ToList();
        var calibrations = OfKind(StageKinds.Calibrate).OrderBy(Alpha).ThenBy(s => s.Definition.Id, StringComparer.Ordinal).ToList();
        var projections = OfKind(StageKinds.Project).ToList();
        var students = OfKind(StageKinds.Distill).OrderBy(Alpha).ThenBy(s => Metric(s, MetricNames.StudentTemperature)).ThenBy(s => s.Definition.Id, StringComparer.Ordinal).ToList();

        // Verdicts first: the summary at the top and every figure's sentence use them.
        var clusters = ClusterVerdict(projections);
        var calibration = CalibrationVerdict(calibrations);
        var distillation = DistillationVerdict(teachers, students);
        var information = InformationVerdict(teachers);
        foreach (var v in new[] { clusters, calibration, distillation, information })
            if (v is not null) _verdicts.Add(v);

        var document = new ReportDocument(title);
        document.AddParagraph($"Pipeline '{pipeline.Name}': {stages.Count} completed stages read from the run store " +
            $"({teachers.Count} teachers, {students.Count} students, {calibrations.Count} calibration, {projections.Count} projection). " +
            "Reference: Müller, Kornblith, Hinton, \"When Does Label Smoothing Help?\" (NeurIPS 2019).");
        if (note is not null) document.AddParagraph(note);
        Summary(document);
        TeacherSection(document, teachers);
        CalibrationSection(document, calibrations, calibration);
        ProjectionSection(document, projections, clusters);
        DistillationSection(document, students, distillation);
        InformationSection(document, teachers, information);
        CurvesSection(document, teachers, students, distillation);
        return new RunReport(document, _verdicts, document.Sections.OfType<FigureSection>().Count());
    }

    private void Summary(ReportDocument document)
    {
        document.AddHeading("Summary of findings");
        var rows = FindingVerdict.Claims.Select(claim =>
        {
            var verdict = _verdicts.FirstOrDefault(v => v.Finding == claim.Key);
            return (IReadOnlyList<string>)[claim.Key.ToString(CultureInfo.InvariantCulture), claim.Value,
                verdict?.OutcomeText ?? "not tested", verdict?.Evidence ?? "the stages this finding needs are not in this run"];
        });
        document.AddTable(["#", "Paper's finding", "This run", "Evidence"], rows,
            $"{_verdicts.Count(v => v.Outcome == Verdict.Agrees)} of {_verdicts.Count} tested findings agree with the paper");
    }

    // ---- (a) teachers -------------------------------------------------------------------------------------

    private void TeacherSection(ReportDocument document, IReadOnlyList<StageInputRef> teachers)
    {
        document.AddHeading("Teachers");
        if (teachers.Count == 0)
        {
            document.AddParagraph("No train stages among this report's inputs; section skipped.");
            return;
        }
        document.AddTable(["Stage", "alpha", "Validation accuracy", "Test accuracy", "Test NLL", "Epochs"],
            teachers.Select(t => (IReadOnlyList<string>)[t.Definition.Id, F(Alpha(t)), P(Metric(t, MetricNames.ValidationAccuracy)),
                P(Metric(t, MetricNames.TestAccuracy)), F3(Metric(t, MetricNames.TestNll)), t.Manifest.EpochMetrics.Count.ToString(CultureInfo.InvariantCulture)]),
            "Models trained with cross-entropy against label-smoothed targets (alpha = 0: hard targets); final epoch");
    }

    // ---- (b) calibration ----------------------------------------------------------------------------------

    private FindingVerdict? CalibrationVerdict(IReadOnlyList<StageInputRef> calibrations)
    {
        var hard = calibrations.FirstOrDefault(c => Alpha(c) == 0);
        var smooth = calibrations.Where(c => Alpha(c) > 0).MinBy(c => Metric(c, MetricNames.Ece));
        if (hard is null || smooth is null) return null;
        return Calibration(Metric(hard, MetricNames.Ece), Metric(hard, MetricNames.EceScaled), Metric(hard, MetricNames.FittedTemperature), Metric(smooth, MetricNames.Ece), Alpha(smooth));
    }

    private void CalibrationSection(ReportDocument document, IReadOnlyList<StageInputRef> calibrations, FindingVerdict? verdict)
    {
        document.AddHeading("Calibration");
        if (calibrations.Count == 0)
        {
            document.AddParagraph("No calibrate stages among this report's inputs; section skipped.");
            return;
        }
        var bins = calibrations.Select(c => CalibrateParameters.From(c.Definition.Parameters).Bins).Distinct();
        document.AddTable(["Teacher", "alpha", "Accuracy", "ECE, T = 1", "Fitted T", "ECE, fitted T", "NLL, T = 1", "NLL, fitted T"],
            calibrations.Select(c => (IReadOnlyList<string>)[TrainStageOf(c.Definition.Id) ?? "?", F(Alpha(c)), P(Metric(c, MetricNames.Accuracy)),
                F3(Metric(c, MetricNames.Ece)), Metric(c, MetricNames.FittedTemperature).ToString("0.00", CultureInfo.InvariantCulture), F3(Metric(c, MetricNames.EceScaled)),
                F3(Metric(c, MetricNames.Nll)), F3(Metric(c, MetricNames.NllScaled))]),
            $"Stages {string.Join(", ", calibrations.Select(c => c.Definition.Id))}, measured on the eval split ({string.Join(", ", calibrations.Select(c => CalibrateParameters.From(c.Definition.Parameters).EvalSplit).Distinct())}); " +
            $"T fitted on its fit split; ECE with {string.Join("/", bins)} bins");

        var hard = calibrations.FirstOrDefault(c => Alpha(c) == 0);
        var smooth = calibrations.Where(c => Alpha(c) > 0).MinBy(c => Metric(c, MetricNames.Ece));
        if (hard is not null && smooth is not null)
        {
            document.AddTable(["Method", "ECE", "Setting"],
            [
                ["Baseline (hard targets, T = 1)", F3(Metric(hard, MetricNames.Ece)), hard.Definition.Id],
                ["Temperature scaling", F3(Metric(hard, MetricNames.EceScaled)), $"T = {Metric(hard, MetricNames.FittedTemperature).ToString("0.00", CultureInfo.InvariantCulture)}"],
                ["Label smoothing (T = 1)", F3(Metric(smooth, MetricNames.Ece)), $"alpha = {F(Alpha(smooth))}"],
            ], "The paper's Table 3 for this run");
        }
        else
        {
            document.AddParagraph("Finding 2 needs a calibrate stage for a hard-target teacher (alpha = 0) and one for a smoothed teacher; this run lacks one of them.");
        }

        string sentence = verdict?.Sentence ?? "Finding 2 (label smoothing calibrates about as well as temperature scaling): not tested here (needs a hard and a smoothed teacher).";
        foreach (var c in calibrations)
        {
            var who = $"{TrainStageOf(c.Definition.Id)} (alpha = {F(Alpha(c))})";
            AddFigure(document, c, CalibrateFiles.Before, $"{c.Definition.Id}-reliability",
                $"Reliability diagram of {who} at T = 1: accuracy per confidence bin against the diagonal of perfect calibration.", sentence);
            AddFigure(document, c, CalibrateFiles.After, $"{c.Definition.Id}-reliability-scaled",
                $"Reliability diagram of {who} after temperature scaling (T = {Metric(c, MetricNames.FittedTemperature).ToString("0.00", CultureInfo.InvariantCulture)}).", sentence);
        }
    }

    // ---- (c) projection -----------------------------------------------------------------------------------

    private FindingVerdict? ClusterVerdict(IReadOnlyList<StageInputRef> projections)
    {
        foreach (var projection in projections)
        {
            var models = projection.Definition.Inputs.GetValueOrDefault("models") ?? [];
            if (models.Count != 2) continue;
            var ordered = models.OrderBy(AlphaOf).ToList();
            if (!(AlphaOf(ordered[0]) < AlphaOf(ordered[1]))) continue;
            var (hard, smooth) = (ordered[0], ordered[1]);
            var verdict = Clusters($"alpha {F(AlphaOf(hard))}", Metric(projection, MetricNames.Tightness(hard)), Metric(projection, MetricNames.CentroidSpread(hard)),
                $"alpha {F(AlphaOf(smooth))}", Metric(projection, MetricNames.Tightness(smooth)), Metric(projection, MetricNames.CentroidSpread(smooth)));
            return verdict with { Evidence = verdict.Evidence + ", training examples" };
        }
        return null;
    }

    private void ProjectionSection(ReportDocument document, IReadOnlyList<StageInputRef> projections, FindingVerdict? verdict)
    {
        document.AddHeading("Penultimate-layer geometry");
        if (projections.Count == 0)
        {
            document.AddParagraph("No project stages among this report's inputs; section skipped.");
            return;
        }
        string sentence = verdict?.Sentence ?? "Finding 1 (label smoothing gives tight, equidistant clusters): not tested here (needs one projection of a hard-target and a smoothed model).";
        foreach (var projection in projections)
        {
            var models = (projection.Definition.Inputs.GetValueOrDefault("models") ?? []).OrderBy(AlphaOf).ToList();
            document.AddTable(["Model", "alpha", "Split", "Tightness", "Centroid spread"],
                models.SelectMany(m => new[] { ("training", ""), (HeldOutName(projection), "_" + HeldOutName(projection)) }
                    .Where(s => projection.Manifest.Metrics.ContainsKey(MetricNames.Tightness(m, s.Item2)))
                    .Select(s => (IReadOnlyList<string>)[m, F(AlphaOf(m)), s.Item1, F3(Metric(projection, MetricNames.Tightness(m, s.Item2))),
                        F3(Metric(projection, MetricNames.CentroidSpread(m, s.Item2)))])),
                $"{projection.Definition.Id}: tightness = mean distance to the class centroid / mean distance between centroids; " +
                "centroid spread = (largest - smallest centroid distance) / mean (0 = equidistant)");

            if (HasOutput(projection, "projection-grid.png"))
                AddFigure(document, projection, "projection-grid.png", $"{projection.Definition.Id}-grid",
                    "Penultimate activations projected onto the plane of the three class templates; rows: without / with label smoothing, columns: training / held-out examples.",
                    sentence);
            else
                foreach (var output in projection.Manifest.Outputs.Where(o => o.Path.EndsWith(".png", StringComparison.Ordinal)))
                    AddFigure(document, projection, output.Path, $"{projection.Definition.Id}-{Path.GetFileNameWithoutExtension(output.Path)}",
                        "Penultimate activations projected onto the plane of the three class templates.", sentence);
        }
    }

    private static string HeldOutName(StageInputRef projection) =>
        projection.Manifest.Metrics.Keys.Any(k => k.StartsWith(MetricNames.TightnessPrefix, StringComparison.Ordinal) && k.EndsWith("_test", StringComparison.Ordinal))
            ? "test" : "validation";

    // ---- (d) students ---------------------------------------------------------------------------------------

    private FindingVerdict? DistillationVerdict(IReadOnlyList<StageInputRef> teachers, IReadOnlyList<StageInputRef> students)
    {
        var hardTeachers = teachers.Where(t => Alpha(t) == 0).ToList();
        var smoothTeachers = teachers.Where(t => Alpha(t) > 0).ToList();
        if (hardTeachers.Count == 0 || smoothTeachers.Count == 0) return null;
        var taught = smoothTeachers.Where(t => students.Any(s => TrainStageOf(s.Definition.Id) == t.Definition.Id)).ToList();
        if (taught.Count > 0) smoothTeachers = taught;
        var hardStudents = students.Where(s => Alpha(s) == 0).Select(s => (Metric(s, MetricNames.TeacherGamma), Metric(s, MetricNames.TestAccuracy))).ToList();
        // The paper compares label-smoothed teachers read at T = 1 with the hard-target teacher at several T.
        var smoothStudents = students.Where(s => Alpha(s) > 0 && Metric(s, MetricNames.StudentTemperature) == 1).Select(s => (Metric(s, MetricNames.TeacherGamma), Metric(s, MetricNames.TestAccuracy))).ToList();
        return Findings.Distillation(hardTeachers.Average(t => Metric(t, MetricNames.TestAccuracy)), smoothTeachers.Average(t => Metric(t, MetricNames.TestAccuracy)), hardStudents, smoothStudents);
    }

    private void DistillationSection(ReportDocument document, IReadOnlyList<StageInputRef> students, FindingVerdict? verdict)
    {
        document.AddHeading("Distillation");
        if (students.Count == 0)
        {
            document.AddParagraph("No distill stages among this report's inputs; section skipped.");
            return;
        }
        document.AddTable(["Student", "Teacher", "Teacher alpha", "T", "Teacher gamma", "Test accuracy"],
            students.Select(s => (IReadOnlyList<string>)[s.Definition.Id, TrainStageOf(s.Definition.Id) ?? "?", F(Alpha(s)), F(Metric(s, MetricNames.StudentTemperature)),
                F3(Metric(s, MetricNames.TeacherGamma)), P(Metric(s, MetricNames.TestAccuracy))]),
            "Students trained on the teacher's temperature-softened outputs; gamma is the teacher's smoothness index at T");

        string sentence = verdict?.Sentence ?? "Finding 3 (a smoothed teacher is more accurate yet distils into a worse student): not tested here (needs a hard and a smoothed teacher).";
        var byAlpha = students.GroupBy(Alpha).OrderBy(g => g.Key).ToList();
        var vsTemperature = byAlpha.Select(g => Series($"teacher alpha = {F(g.Key)}", g.Select(s => (Metric(s, MetricNames.StudentTemperature), Metric(s, MetricNames.TestAccuracy)))))
            .OfType<LineSeries>().ToList();
        if (vsTemperature.Count > 0)
            AddChart(document, "student-accuracy-vs-temperature", "Student accuracy vs teacher temperature", "Teacher temperature T", "Student test accuracy",
                vsTemperature, null, "Student test accuracy against the temperature of the teacher's targets, one line per teacher smoothing alpha.", sentence);

        var vsGamma = new[]
        {
            Series("hard-target teacher (alpha = 0), T varied", students.Where(s => Alpha(s) == 0).Select(s => (Metric(s, MetricNames.TeacherGamma), Metric(s, MetricNames.TestAccuracy)))),
            Series("label-smoothed teachers (alpha > 0) at T = 1", students.Where(s => Alpha(s) > 0 && Metric(s, MetricNames.StudentTemperature) == 1).Select(s => (Metric(s, MetricNames.TeacherGamma), Metric(s, MetricNames.TestAccuracy)))),
        }.OfType<LineSeries>().ToList();
        if (vsGamma.Count > 0)
            AddChart(document, "student-accuracy-vs-gamma", "Student accuracy vs teacher smoothness", "Teacher smoothness index gamma", "Student test accuracy",
                vsGamma, null, "Student test accuracy against the teacher's smoothness index gamma (paper Fig. 5): at equal gamma, the paper finds the smoothed teacher's student worse.", sentence);
    }

    // ---- (e) mutual information -------------------------------------------------------------------------------

    private FindingVerdict? InformationVerdict(IReadOnlyList<StageInputRef> teachers)
    {
        var measured = teachers.Where(t => Epochs(t, MetricNames.MutualInformation).Count > 0).ToList();
        var hard = measured.FirstOrDefault(t => Alpha(t) == 0);
        var smooth = measured.Where(t => Alpha(t) > 0).OrderByDescending(Alpha).FirstOrDefault();
        if (hard is null || smooth is null) return null;
        return Information(Epochs(hard, MetricNames.MutualInformation).Select(e => e.Value).ToList(),
            Epochs(smooth, MetricNames.MutualInformation).Select(e => e.Value).ToList(), LogN(measured));
    }

    private void InformationSection(ReportDocument document, IReadOnlyList<StageInputRef> teachers, FindingVerdict? verdict)
    {
        document.AddHeading("Mutual information");
        var measured = teachers.Where(t => Epochs(t, MetricNames.MutualInformation).Count > 0).ToList();
        if (measured.Count == 0)
        {
            document.AddParagraph("No teacher recorded the mutual-information probe (train stage option mutual-information.enabled); section skipped.");
            return;
        }
        string sentence = verdict?.Sentence ?? "Finding 4 (label smoothing erases information): not tested here (needs the probe on a hard and a smoothed teacher).";
        var series = measured.Select(t => Series($"{t.Definition.Id} (alpha = {F(Alpha(t))})", Epochs(t, MetricNames.MutualInformation))).OfType<LineSeries>().ToList();
        double logN = LogN(measured);
        var references = new List<ReferenceLine>();
        if (double.IsFinite(logN)) references.Add(new ReferenceLine($"log N = {F3(logN)}", logN));
        references.Add(new ReferenceLine($"log 2 = {F3(Math.Log(2))}", Math.Log(2)));
        AddChart(document, "mutual-information", "Mutual information between input and logit difference", "Epoch", "I(X; Y) estimate (nats)",
            series, references, "Estimated mutual information between the example index and the difference of two classes' logits, per epoch (paper Fig. 6).", sentence);
    }

    private static double LogN(IEnumerable<StageInputRef> teachers) =>
        teachers.Select(t => Metric(t, MetricNames.MutualInformationBound)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    // ---- (f) training curves ------------------------------------------------------------------------------------

    private void CurvesSection(ReportDocument document, IReadOnlyList<StageInputRef> teachers, IReadOnlyList<StageInputRef> students, FindingVerdict? distillation)
    {
        document.AddHeading("Training curves");
        if (teachers.Count + students.Count == 0)
        {
            document.AddParagraph("No train or distill stages among this report's inputs; section skipped.");
            return;
        }
        var teacherSeries = teachers.Select(t => Series($"{t.Definition.Id} (alpha = {F(Alpha(t))})", Epochs(t, MetricNames.TestAccuracy))).OfType<LineSeries>().ToList();
        if (teacherSeries.Count > 0)
        {
            var hard = teachers.Where(t => Alpha(t) == 0).ToList();
            var smooth = teachers.Where(t => Alpha(t) > 0).ToList();
            string sentence;
            if (hard.Count > 0 && smooth.Count > 0)
            {
                double h = hard.Average(t => Metric(t, MetricNames.TestAccuracy)), s = smooth.Average(t => Metric(t, MetricNames.TestAccuracy));
                var outcome = s > h ? "agrees" : s < h ? "does not agree" : "inconclusive";
                sentence = $"Finding 3, first half (a label-smoothed teacher is more accurate): {outcome}: final test accuracy {P(s)} with smoothing vs {P(h)} without.";
            }
            else
                sentence = "Finding 3, first half (a label-smoothed teacher is more accurate): not tested here (needs a hard and a smoothed teacher).";
            AddChart(document, "teacher-curves", "Teachers: test accuracy per epoch", "Epoch", "Test accuracy", teacherSeries, null,
                "Test accuracy of every teacher at the end of each epoch.", sentence);
        }
        var studentSeries = students.Select(s => Series($"{s.Definition.Id} (alpha {F(Alpha(s))}, T {F(Metric(s, MetricNames.StudentTemperature))})", Epochs(s, MetricNames.TestAccuracy)))
            .OfType<LineSeries>().ToList();
        if (studentSeries.Count > 0)
            AddChart(document, "student-curves", "Students: test accuracy per epoch", "Epoch", "Test accuracy", studentSeries, null,
                "Test accuracy of every student at the end of each epoch.",
                distillation?.Sentence ?? "Finding 3 (a smoothed teacher distils into a worse student): not tested here (needs students of a hard and a smoothed teacher).");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void AddChart(ReportDocument document, string name, string title, string x, string y, IReadOnlyList<LineSeries> series,
        IReadOnlyList<ReferenceLine>? references, string caption, string finding) =>
        document.AddFigure(name, LineChart.Render(title, x, y, series, references, new FigureSize(900, 520)), caption, finding);

    /// <summary>Adds an output PNG of an input stage; a missing one (not recorded in its manifest) becomes a note.</summary>
    private static void AddFigure(ReportDocument document, StageInputRef stage, string output, string name, string caption, string finding)
    {
        if (!HasOutput(stage, output))
        {
            document.AddParagraph($"Stage '{stage.Definition.Id}' recorded no output '{output}'; figure skipped.");
            return;
        }
        document.AddFigure(name, File.ReadAllBytes(stage.Directory.OutputPath(output)), caption, finding);
    }

    private static bool HasOutput(StageInputRef stage, string output) =>
        stage.Manifest.Outputs.Any(o => o.Path == output) && File.Exists(stage.Directory.OutputPath(output));

    /// <summary>A line through the finite points, sorted by x; null when none is finite.</summary>
    private static LineSeries? Series(string name, IEnumerable<(double X, double Y)> points)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
        return finite.Count == 0 ? null : new LineSeries(name, finite.Select(p => p.X).ToList(), finite.Select(p => p.Y).ToList());
    }

    private static List<(double Epoch, double Value)> Epochs(StageInputRef stage, string metric) =>
        stage.Manifest.EpochMetrics.Where(e => e.Values.ContainsKey(metric)).OrderBy(e => e.Epoch)
            .Select(e => ((double)e.Epoch, e.Values[metric])).ToList();

    private static double Metric(StageInputRef stage, string name) =>
        stage.Manifest.Metrics.TryGetValue(name, out var value) ? value : double.NaN;

    private readonly Lineage _lineage = new(pipeline);

    /// <summary>The train stage a stage descends from (see <see cref="Lineage.TrainStage"/>).</summary>
    private string? TrainStageOf(string stageId) => _lineage.TrainStage(stageId)?.Id;

    private double AlphaOf(string stageId) => _lineage.Alpha(stageId) ?? double.NaN;

    private double Alpha(StageInputRef stage) => AlphaOf(stage.Definition.Id);
}

/// <summary>Output names of calibrate stages the report reads.</summary>
internal static class CalibrateFiles
{
    public const string Before = Executors.CalibrateExecutor.ReliabilityBefore;
    public const string After = Executors.CalibrateExecutor.ReliabilityAfter;
}
