using Distill.Analysis.Statistics;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>
/// The verdict rules of the project's method notes ("Verdict rules"), fixed in advance: pure functions of the paired
/// per-seed numbers. A hard-target and a smoothed run of one seed differ only in alpha; for a metric the rules look at
/// d_s = m(smoothed, s) - m(hard, s) and its 95 % t-interval over the n seeds: "significantly lower" means the
/// interval's upper end is below 0, "higher" its lower end above 0. With fewer than 3 seeds a finding is not tested.
/// To test a finding differently, change the experiment, never these rules.
/// </summary>
public static class VerdictRules
{
    public const int MinimumSeeds = 3;

    /// <summary>Finding 2's precondition: temperature scaling must lower the baseline ECE by more than this.</summary>
    public const double MinimumCalibrationGain = 0.01;

    /// <summary>Finding 2: the smoothed ECE must come within max(this, a quarter of the scaling gain) of the scaled ECE.</summary>
    public const double CalibrationTolerance = 0.01;

    /// <summary>
    /// Finding 1. Agrees: tightness significantly lower with smoothing on both splits, and centroid spread not
    /// significantly higher on either. Disagrees: tightness significantly higher (on either split). Otherwise inconclusive.
    /// </summary>
    public static FindingVerdict Clusters(IReadOnlyList<ClusterSeed> seeds)
    {
        if (seeds.Count == 0) return NotTested(PaperStudy.Clusters, "needs a projection of a hard-target and a smoothed model");
        var tightTrain = Paired(seeds, s => s.Smooth.TightnessTraining - s.Hard.TightnessTraining);
        var tightHeld = Paired(seeds, s => s.Smooth.TightnessHeldOut - s.Hard.TightnessHeldOut);
        var spreadTrain = Paired(seeds, s => s.Smooth.SpreadTraining - s.Hard.SpreadTraining);
        var spreadHeld = Paired(seeds, s => s.Smooth.SpreadHeldOut - s.Hard.SpreadHeldOut);
        var levels = $"tightness {F3(seeds.Average(s => s.Smooth.TightnessTraining))} with smoothing vs {F3(seeds.Average(s => s.Hard.TightnessTraining))} without, " +
            $"centroid spread {F3(seeds.Average(s => s.Smooth.SpreadTraining))} vs {F3(seeds.Average(s => s.Hard.SpreadTraining))} (training examples; smaller is tighter, 0 = equidistant)";
        if (seeds.Count < MinimumSeeds) return TooFewSeeds(PaperStudy.Clusters, seeds.Count, levels);
        var evidence = $"{levels}; smoothed minus hard: tightness {Interval(tightTrain)} (training), {Interval(tightHeld)} (held-out); " +
            $"spread {Interval(spreadTrain)} (training), {Interval(spreadHeld)} (held-out); n = {seeds.Count}";
        if (tightTrain.SignificantlyBelowZero && tightHeld.SignificantlyBelowZero && !spreadTrain.SignificantlyAboveZero && !spreadHeld.SignificantlyAboveZero)
            return new(PaperStudy.Clusters, Verdict.Agrees, evidence);
        if (tightTrain.SignificantlyAboveZero || tightHeld.SignificantlyAboveZero)
            return new(PaperStudy.Clusters, Verdict.Disagrees, evidence);
        return new(PaperStudy.Clusters, Verdict.Inconclusive, evidence);
    }

    /// <summary>
    /// Finding 2, for the smoothed alpha chosen by its lowest mean ECE on held-out (never test) data. Precondition: the
    /// hard-target teacher is miscalibrated, ECE(T = 1) - ECE(scaled) above 0.01 with its interval above 0; else not
    /// testable. Agrees: the smoothed ECE is significantly lower than the baseline's and within max(0.01, gain / 4) of
    /// the scaled ECE. Disagrees: not significantly lower than the baseline. Otherwise inconclusive.
    /// </summary>
    /// <param name="chosen">How the smoothed alpha was chosen, for the evidence (e.g. "alpha 0.1, lowest validation ECE").</param>
    public static FindingVerdict Calibration(IReadOnlyList<CalibrationSeed> seeds, string chosen)
    {
        if (seeds.Count == 0) return NotTested(PaperStudy.Calibration, "needs calibrate stages of a hard-target and a smoothed teacher");
        var levels = $"test ECE {F3(seeds.Average(s => s.SmoothEce))} with label smoothing ({chosen}), baseline {F3(seeds.Average(s => s.HardEce))}, " +
            $"temperature-scaled {F3(seeds.Average(s => s.HardEceScaled))}";
        if (seeds.Count < MinimumSeeds) return TooFewSeeds(PaperStudy.Calibration, seeds.Count, levels);
        var gain = MeanInterval.Of(seeds.Select(s => s.HardEce - s.HardEceScaled));
        if (!(gain.Mean > MinimumCalibrationGain && gain.SignificantlyAboveZero))
            return new(PaperStudy.Calibration, Verdict.NotTestable, $"the baseline is already calibrated: temperature scaling changes its ECE by {Interval(gain, negate: true)} " +
                $"({F3(seeds.Average(s => s.HardEce))} -> {F3(seeds.Average(s => s.HardEceScaled))}; needs a gain above {F3(MinimumCalibrationGain)} with its interval above 0); n = {seeds.Count}");
        var belowBaseline = MeanInterval.Of(seeds.Select(s => s.SmoothEce - s.HardEce));
        var fromScaled = MeanInterval.Of(seeds.Select(s => s.SmoothEce - s.HardEceScaled));
        double tolerance = Math.Max(CalibrationTolerance, gain.Mean / 4);
        var evidence = $"{levels}; smoothed minus baseline {Interval(belowBaseline)}, smoothed minus scaled {Interval(fromScaled)} " +
            $"(within {F3(tolerance)} needed), scaling gain {Interval(gain)}; n = {seeds.Count}";
        if (!belowBaseline.SignificantlyBelowZero) return new(PaperStudy.Calibration, Verdict.Disagrees, evidence);
        return Math.Abs(fromScaled.Mean) <= tolerance ? new(PaperStudy.Calibration, Verdict.Agrees, evidence) : new(PaperStudy.Calibration, Verdict.Inconclusive, evidence);
    }

    /// <summary>
    /// Finding 3. Each smoothed teacher's gamma (at T = 1) is placed on the hard-target teacher's gamma(T) curve of the same
    /// seed, whose students' accuracy is interpolated linearly there (inside the swept range only). d = accuracy of the
    /// smoothed teacher's student minus the interpolated one. Agrees: d significantly below 0 for most usable alphas;
    /// disagrees: significantly above 0 for most. Otherwise inconclusive. Teacher accuracies are reported beside it.
    /// </summary>
    /// <param name="hardStudents">Students of the hard-target teacher at every temperature, every seed.</param>
    public static FindingVerdict Distillation(IReadOnlyList<StudentPoint> hardStudents, IReadOnlyList<SmoothedStudents> smoothed, IReadOnlyList<TeacherSeed> teachers)
    {
        if (hardStudents.Count == 0 || smoothed.All(a => a.Students.Count == 0))
            return NotTested(PaperStudy.Distillation, "needs students of the hard-target teacher across temperatures and of a smoothed teacher at T = 1");
        var teacherLine = teachers.Count == 0 ? "" : teachers.Count >= 2
            ? $"; teacher test accuracy with smoothing minus without: {Points(MeanInterval.Of(teachers.Select(t => t.Smooth - t.Hard)))}"
            : $"; teacher test accuracy {P(teachers.Average(t => t.Smooth))} with smoothing vs {P(teachers.Average(t => t.Hard))} without";
        var curves = hardStudents.GroupBy(s => s.Seed).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Gamma).ToList());
        int seeds = smoothed.Select(a => a.Students.Count(s => curves.ContainsKey(s.Seed))).DefaultIfEmpty(0).Max();
        if (seeds < MinimumSeeds)
        {
            var single = smoothed.Where(a => a.Students.Count > 0).Select(a =>
                $"alpha {F(a.Alpha)}: student {P(a.Students.Average(s => s.Accuracy))} at gamma {F3(a.Students.Average(s => s.Gamma))}");
            return TooFewSeeds(PaperStudy.Distillation, seeds, $"{string.Join("; ", single)}; hard-target teacher's students {string.Join(", ", hardStudents.Select(s => $"{P(s.Accuracy)} (gamma {F3(s.Gamma)})"))}{teacherLine}");
        }

        var usable = new List<(double Alpha, MeanInterval D)>();
        var outside = new List<string>();
        foreach (var alpha in smoothed.Where(a => a.Students.Count > 0))
        {
            var differences = alpha.Students.Select(s => curves.TryGetValue(s.Seed, out var curve) ? Interpolate(curve, s.Gamma) is { } expected ? s.Accuracy - expected : (double?)null : null).ToList();
            if (differences.Any(d => d is null)) outside.Add(F(alpha.Alpha));
            else usable.Add((alpha.Alpha, MeanInterval.Of(differences.Select(d => d!.Value))));
        }
        var outsideNote = outside.Count == 0 ? "" : $"; alpha {string.Join(", ", outside)} outside the hard teacher's swept gamma range, not used";
        var evidence = (usable.Count == 0 ? "no smoothed teacher's gamma falls inside the hard teacher's swept range"
            : "student of the smoothed teacher minus the hard teacher's students interpolated at the same gamma: " +
              string.Join("; ", usable.Select(u => $"alpha {F(u.Alpha)} {Points(u.D)}"))) + outsideNote + teacherLine + $"; n = {seeds}";
        int below = usable.Count(u => u.D.SignificantlyBelowZero), above = usable.Count(u => u.D.SignificantlyAboveZero);
        if (usable.Count > 0 && 2 * below > usable.Count) return new(PaperStudy.Distillation, Verdict.Agrees, evidence);
        if (usable.Count > 0 && 2 * above > usable.Count) return new(PaperStudy.Distillation, Verdict.Disagrees, evidence);
        return new(PaperStudy.Distillation, Verdict.Inconclusive, evidence);
    }

    /// <summary>
    /// Finding 4. Final MI = mean of the last two probed epochs; drop = peak - final. Agrees: final MI significantly lower
    /// with smoothing and its drop significantly larger. Disagrees: final MI significantly higher. Otherwise inconclusive.
    /// </summary>
    public static FindingVerdict Information(IReadOnlyList<InformationSeed> seeds, string smoothedName, double logN)
    {
        var usable = seeds.Where(s => s.Hard.Count(double.IsFinite) >= 2 && s.Smooth.Count(double.IsFinite) >= 2).ToList();
        if (usable.Count == 0) return NotTested(PaperStudy.Information, "needs the probe over at least two epochs on a hard-target and a smoothed teacher");
        var finals = usable.Select(s => (Hard: Final(s.Hard), Smooth: Final(s.Smooth))).ToList();
        var drops = usable.Select(s => (Hard: Peak(s.Hard) - Final(s.Hard), Smooth: Peak(s.Smooth) - Final(s.Smooth))).ToList();
        var levels = $"final MI (mean of the last two epochs) {F3(finals.Average(f => f.Smooth))} nats with smoothing ({smoothedName}) vs {F3(finals.Average(f => f.Hard))} without, " +
            $"drop from the peak {F3(drops.Average(d => d.Smooth))} vs {F3(drops.Average(d => d.Hard))} (log N = {F3(logN)}, log 2 = {F3(Math.Log(2))})";
        if (usable.Count < MinimumSeeds) return TooFewSeeds(PaperStudy.Information, usable.Count, levels);
        var final = MeanInterval.Of(finals.Select(f => f.Smooth - f.Hard));
        var drop = MeanInterval.Of(drops.Select(d => d.Smooth - d.Hard));
        var evidence = $"{levels}; smoothed minus hard: final {Interval(final)}, drop {Interval(drop)}; n = {usable.Count}";
        if (final.SignificantlyBelowZero && drop.SignificantlyAboveZero) return new(PaperStudy.Information, Verdict.Agrees, evidence);
        if (final.SignificantlyAboveZero) return new(PaperStudy.Information, Verdict.Disagrees, evidence);
        return new(PaperStudy.Information, Verdict.Inconclusive, evidence);
    }

    /// <summary>y at x on a polyline sorted by x, or null outside [first x, last x] (no extrapolation).</summary>
    public static double? Interpolate(IReadOnlyList<StudentPoint> curve, double gamma)
    {
        if (curve.Count == 0 || !double.IsFinite(gamma) || gamma < curve[0].Gamma || gamma > curve[^1].Gamma) return null;
        for (int i = 1; i < curve.Count; i++)
        {
            var (a, b) = (curve[i - 1], curve[i]);
            if (gamma > b.Gamma) continue;
            return b.Gamma == a.Gamma ? (a.Accuracy + b.Accuracy) / 2 : a.Accuracy + (b.Accuracy - a.Accuracy) * (gamma - a.Gamma) / (b.Gamma - a.Gamma);
        }
        return curve[0].Accuracy; // one point, gamma equal to it
    }

    public static FindingVerdict NotTested(StudyFinding finding, string why) => new(finding, Verdict.NotTested, why);

    public static FindingVerdict TooFewSeeds(StudyFinding finding, int seeds, string singleRunNumbers) =>
        new(finding, Verdict.NotTested, $"{seeds} seed{(seeds == 1 ? "" : "s")}, {MinimumSeeds} needed; single-run numbers, no verdict: {singleRunNumbers}");

    private static MeanInterval Paired<T>(IEnumerable<T> seeds, Func<T, double> difference) => MeanInterval.Of(seeds.Select(difference));

    private static double Final(IReadOnlyList<double> perEpoch)
    {
        var finite = perEpoch.Where(double.IsFinite).ToList();
        return (finite[^1] + finite[^2]) / 2;
    }

    private static double Peak(IReadOnlyList<double> perEpoch) => perEpoch.Where(double.IsFinite).Max();

    /// <summary>"-0.012 [-0.020, -0.004]": mean and 95 % interval.</summary>
    public static string Interval(MeanInterval i, bool negate = false) =>
        negate ? $"{F3(-i.Mean)} [{F3(-i.Upper)}, {F3(-i.Lower)}]" : $"{F3(i.Mean)} [{F3(i.Lower)}, {F3(i.Upper)}]";

    /// <summary>An accuracy difference in percentage points: "-1.2 points [-2.0, -0.4]".</summary>
    public static string Points(MeanInterval i) => $"{Pt(i.Mean)} points [{Pt(i.Lower)}, {Pt(i.Upper)}]";

    private static string Pt(double fraction) => double.IsFinite(fraction) ? (100 * fraction).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
