using Distill.Stages.Reporting;
using static Distill.Stages.Paper.Findings;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>
/// Which of the run's typed results test which of the paper's four findings, and the verdicts the rules in
/// <see cref="Findings"/> give them. A finding whose stages are absent gets no verdict ("not tested").
/// </summary>
public static class PaperFindings
{
    public const string Reference = "Müller, Kornblith, Hinton, \"When Does Label Smoothing Help?\" (NeurIPS 2019)";

    public static IReadOnlyList<FindingVerdict> Evaluate(RunResults results) =>
        new[] { ClusterVerdict(results), CalibrationVerdict(results), DistillationVerdict(results), InformationVerdict(results) }
            .OfType<FindingVerdict>().ToList();

    /// <summary>Finding 1: the first projection of exactly one hard-target and one smoothed model.</summary>
    private static FindingVerdict? ClusterVerdict(RunResults results)
    {
        foreach (var projection in results.Projections)
        {
            if (projection.Models.Count != 2) continue;
            var (hard, smooth) = (projection.Models[0], projection.Models[1]);
            if (!(hard.Alpha < smooth.Alpha) || hard.Training is not { } h || smooth.Training is not { } s) continue;
            var verdict = Clusters($"alpha {F(hard.Alpha)}", h.Tightness, h.CentroidSpread, $"alpha {F(smooth.Alpha)}", s.Tightness, s.CentroidSpread);
            return verdict with { Evidence = verdict.Evidence + ", training examples" };
        }
        return null;
    }

    /// <summary>Finding 2: the hard teacher's calibration against the best-calibrated smoothed teacher's.</summary>
    private static FindingVerdict? CalibrationVerdict(RunResults results)
    {
        var (hard, smooth) = CalibrationPair(results);
        if (hard is null || smooth is null) return null;
        return Calibration(hard.Ece, hard.EceScaled, hard.FittedTemperature, smooth.Ece, smooth.Alpha);
    }

    /// <summary>The hard-target teacher's calibrate stage and the smoothed one with the lowest ECE (the paper's Table 3).</summary>
    public static (CalibrationResult? Hard, CalibrationResult? Smooth) CalibrationPair(RunResults results) =>
        (results.Calibrations.FirstOrDefault(c => c.Alpha == 0), results.Calibrations.Where(c => c.Alpha > 0).MinBy(c => c.Ece));

    /// <summary>
    /// Finding 3: smoothed teachers (those with students, if any) against hard ones; students of the hard teacher at
    /// every temperature against students of smoothed teachers read at T = 1, as in the paper.
    /// </summary>
    private static FindingVerdict? DistillationVerdict(RunResults results)
    {
        var hardTeachers = results.Teachers.Where(t => t.Alpha == 0).ToList();
        var smoothTeachers = results.Teachers.Where(t => t.Alpha > 0).ToList();
        if (hardTeachers.Count == 0 || smoothTeachers.Count == 0) return null;
        var taught = smoothTeachers.Where(t => results.Students.Any(s => s.Teacher == t.Id)).ToList();
        if (taught.Count > 0) smoothTeachers = taught;
        var hardStudents = results.Students.Where(s => s.TeacherAlpha == 0).Select(s => (s.TeacherGamma, s.TestAccuracy)).ToList();
        var smoothStudents = SmoothedAtTemperatureOne(results).Select(s => (s.TeacherGamma, s.TestAccuracy)).ToList();
        return Findings.Distillation(hardTeachers.Average(t => t.TestAccuracy), smoothTeachers.Average(t => t.TestAccuracy), hardStudents, smoothStudents);
    }

    /// <summary>Students of label-smoothed teachers whose targets are at T = 1: the paper's comparison set.</summary>
    public static IEnumerable<StudentResult> SmoothedAtTemperatureOne(RunResults results) =>
        results.Students.Where(s => s.TeacherAlpha > 0 && s.Temperature == 1);

    /// <summary>Finding 4: the probed hard teacher against the most smoothed probed teacher.</summary>
    private static FindingVerdict? InformationVerdict(RunResults results)
    {
        var measured = Probed(results);
        var hard = measured.FirstOrDefault(t => t.Alpha == 0);
        var smooth = measured.Where(t => t.Alpha > 0).OrderByDescending(t => t.Alpha).FirstOrDefault();
        if (hard is null || smooth is null) return null;
        return Information(hard.MutualInformation.Values, smooth.MutualInformation.Values, LogN(measured));
    }

    /// <summary>Teachers that recorded the mutual-information probe.</summary>
    public static IReadOnlyList<TeacherResult> Probed(RunResults results) =>
        results.Teachers.Where(t => t.MutualInformation.Points.Count > 0).ToList();

    /// <summary>The estimator's ceiling, log of the number of probe examples (the largest any teacher recorded).</summary>
    public static double LogN(IEnumerable<TeacherResult> teachers) =>
        teachers.Select(t => t.MutualInformationBound).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
}
