using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ModelRoles;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>
/// Which of the run's typed results test which of the paper's four findings: pairs the hard-target and the smoothed
/// runs seed by seed (a run without `seeds:` is one unnamed seed) and hands the paired numbers to <see cref="VerdictRules"/>.
/// </summary>
public static class PaperFindings
{
    public static IReadOnlyList<FindingVerdict> Evaluate(RunResults results) =>
        [Clusters(results), Calibration(results), Distillation(results), Information(results)];

    /// <summary>Finding 1: projections of one hard-target (alpha 0) and one smoothed model, one per seed.</summary>
    private static FindingVerdict Clusters(RunResults results)
    {
        var seeds = new Dictionary<int, ClusterSeed>();
        foreach (var projection in results.Of<ProjectionResult>())
        {
            if (projection.Models.Count != 2 || projection.Models.Any(m => m.IsStudent)) continue; // the finding is about teachers
            var (hard, smooth) = (projection.Models[0], projection.Models[1]);
            if (hard.Alpha != 0 || !(smooth.Alpha > 0) || Geometry(hard) is not { } h || Geometry(smooth) is not { } s) continue;
            seeds.TryAdd(SeedOf(hard.Replicate), new ClusterSeed(SeedOf(hard.Replicate), h, s));
        }
        return VerdictRules.Clusters(seeds.Values.ToList());
    }

    private static ClusterGeometry? Geometry(ProjectedModel model) =>
        model.Training is { } t ? new ClusterGeometry(t.Tightness, model.HeldOut?.Tightness ?? double.NaN, t.CentroidSpread, model.HeldOut?.CentroidSpread ?? double.NaN) : null;

    /// <summary>
    /// Finding 2: the hard-target teacher's calibration against the smoothed alpha with the lowest mean ECE on the
    /// calibrate stages' fit split (held-out data, never test), seed by seed.
    /// </summary>
    private static FindingVerdict Calibration(RunResults results)
    {
        var (hard, smooth, chosen) = CalibrationPair(results);
        if (hard.Count == 0 || smooth.Count == 0)
            return VerdictRules.NotTested(PaperStudy.Calibration, "needs calibrate stages of a hard-target (alpha 0) and a smoothed teacher");
        var seeds = hard.Join(smooth, h => SeedOf(h.Replicate), s => SeedOf(s.Replicate),
            (h, s) => new CalibrationSeed(SeedOf(h.Replicate), h.Ece, h.EceScaled, s.Ece)).ToList();
        return VerdictRules.Calibration(seeds, chosen);
    }

    /// <summary>
    /// The hard-target teacher's calibrate stages, those of the smoothed alpha with the lowest mean fit-split ECE, and
    /// how that alpha was chosen (the paper's Table 3 compares these).
    /// </summary>
    public static (IReadOnlyList<CalibrationResult> Hard, IReadOnlyList<CalibrationResult> Smooth, string Chosen) CalibrationPair(RunResults results)
    {
        var teachers = results.Of<CalibrationResult>().Where(c => !c.OfStudent).ToList(); // the finding is about the smoothed models themselves
        var hard = teachers.Where(c => c.Alpha == 0).DistinctBy(c => SeedOf(c.Replicate)).ToList();
        var candidates = teachers.Where(c => c.Alpha > 0).GroupBy(c => c.Alpha)
            .Select(g => (Alpha: g.Key, FitEce: g.Average(c => c.FitEce), Runs: g.DistinctBy(c => SeedOf(c.Replicate)).ToList()))
            .Where(g => double.IsFinite(g.FitEce)).OrderBy(g => g.FitEce).Take(1).ToList();
        if (candidates.Count == 0) return (hard, [], "");
        var best = candidates[0];
        var split = best.Runs[0].FitSplit;
        return (hard, best.Runs, $"alpha {F(best.Alpha)}, the lowest mean {split} ECE, {F3(best.FitEce)}");
    }

    /// <summary>
    /// Finding 3: students of the hard-target teacher at every T, students of each smoothed teacher at T = 1 (the
    /// paper's comparison), paired by seed; the teachers' accuracies beside them.
    /// </summary>
    private static FindingVerdict Distillation(RunResults results)
    {
        var hardStudents = Students(results).Where(s => s.TeacherAlpha == 0)
            .Select(s => new StudentPoint(SeedOf(s.Replicate), s.TeacherGamma, s.TestAccuracy)).ToList();
        var smoothed = SmoothedAtTemperatureOne(results).GroupBy(s => s.TeacherAlpha).OrderBy(g => g.Key)
            .Select(g => new SmoothedStudents(g.Key, g.DistinctBy(s => SeedOf(s.Replicate)).Select(s => new StudentPoint(SeedOf(s.Replicate), s.TeacherGamma, s.TestAccuracy)).ToList()))
            .ToList();
        var taughtAlphas = smoothed.Select(a => a.Alpha).ToHashSet();
        var models = Teachers(results);
        var teachers = models.Where(t => t.Alpha == 0).DistinctBy(t => SeedOf(t.Replicate))
            .Select(h => (Seed: SeedOf(h.Replicate), Hard: h.TestAccuracy,
                Smooth: models.Where(t => t.Alpha > 0 && SeedOf(t.Replicate) == SeedOf(h.Replicate) && (taughtAlphas.Count == 0 || taughtAlphas.Contains(t.Alpha)))
                    .Select(t => t.TestAccuracy).DefaultIfEmpty(double.NaN).Average()))
            .Where(t => double.IsFinite(t.Smooth))
            .Select(t => new TeacherSeed(t.Seed, t.Hard, t.Smooth)).ToList();
        return VerdictRules.Distillation(hardStudents, smoothed, teachers);
    }

    /// <summary>Students of label-smoothed teachers whose targets are at T = 1: the paper's comparison set.</summary>
    public static IEnumerable<StudentResult> SmoothedAtTemperatureOne(RunResults results) =>
        Students(results).Where(s => s.TeacherAlpha > 0 && s.Temperature == 1);

    /// <summary>
    /// Students that learned the paper's way, Müller et al.'s form (beta 1, the student at T = 1, no T^2): finding 3
    /// compares these alone, so students of other forms in the same report (the compatibility study's) leave it as it is.
    /// </summary>
    public static IEnumerable<StudentResult> Students(RunResults results) =>
        results.Of<StudentResult>().Where(s => s.PublishedForm is KdForm.Muller or KdForm.Both);

    /// <summary>Finding 4: the probed hard-target teacher against the most smoothed probed teacher, seed by seed.</summary>
    private static FindingVerdict Information(RunResults results)
    {
        var measured = Probed(results);
        var hard = measured.Where(t => t.Alpha == 0).DistinctBy(t => SeedOf(t.Replicate)).ToList();
        var alpha = measured.Where(t => t.Alpha > 0).Select(t => t.Alpha).DefaultIfEmpty(double.NaN).Max();
        var smooth = measured.Where(t => t.Alpha == alpha).DistinctBy(t => SeedOf(t.Replicate)).ToList();
        if (hard.Count == 0 || smooth.Count == 0)
            return VerdictRules.NotTested(PaperStudy.Information, "needs the probe on a hard-target and a smoothed teacher");
        var seeds = hard.Join(smooth, h => SeedOf(h.Replicate), s => SeedOf(s.Replicate),
            (h, s) => new InformationSeed(SeedOf(h.Replicate), h.MutualInformation.Values, s.MutualInformation.Values)).ToList();
        return VerdictRules.Information(seeds, $"alpha {F(alpha)}", LogN(measured));
    }
}
