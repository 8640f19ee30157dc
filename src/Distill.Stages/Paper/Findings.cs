using System.Globalization;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>The verdict rules, pure functions of the numbers a report gathers.</summary>
public static class Findings
{
    /// <summary>Temperature scaling must lower the baseline ECE by more than this for finding 2 to be testable.</summary>
    public const double MinimumCalibrationGain = 0.01;

    /// <summary>
    /// Finding 1 from the projection of a hard-target and a smoothed model: smoothing agrees when its clusters are
    /// tighter (within-class spread over between-centroid distance) and no less equidistant (centroid spread).
    /// </summary>
    public static FindingVerdict Clusters(string hardName, double hardTightness, double hardSpread, string smoothName, double smoothTightness, double smoothSpread)
    {
        var evidence = $"tightness {F3(smoothTightness)} with smoothing ({smoothName}) vs {F3(hardTightness)} without ({hardName}); " +
            $"centroid spread {F3(smoothSpread)} vs {F3(hardSpread)} (0 = equidistant; both smaller is better)";
        if (!double.IsFinite(hardTightness) || !double.IsFinite(smoothTightness))
            return new(1, Verdict.Inconclusive, evidence);
        // Differences under 5 % of the hard model's figure are ties: too small to say anything.
        bool? tighter = Below(smoothTightness, hardTightness, 0.05 * hardTightness);
        bool? evener = Below(smoothSpread, hardSpread, 0.05 * hardSpread);
        return new(1, Combine(tighter, evener), evidence + TieNote(tighter, evener, "differences under 5 % count as ties"));
    }

    /// <summary>
    /// Finding 2: the smoothed model's ECE at T = 1 against the hard model's ECE before (baseline) and after
    /// temperature scaling. Agrees when smoothing removes at least half of the miscalibration scaling removes.
    /// </summary>
    public static FindingVerdict Calibration(double baseline, double scaled, double temperature, double smoothed, double alpha)
    {
        var evidence = $"ECE {F3(smoothed)} with label smoothing (alpha {F(alpha)}) vs {F3(scaled)} with temperature scaling " +
            $"(T = {temperature.ToString("0.00", CultureInfo.InvariantCulture)}), baseline {F3(baseline)}";
        double gain = baseline - scaled;
        if (gain < -MinimumCalibrationGain)
            return new(2, Verdict.Inconclusive, evidence + "; temperature scaling fitted on the fit split makes the hard teacher's ECE worse, so it is no reference here");
        if (!(gain > MinimumCalibrationGain))
            return new(2, Verdict.Inconclusive, evidence + "; temperature scaling barely changes the baseline, so there is little miscalibration to compare");
        if (smoothed <= scaled + gain / 2) return new(2, Verdict.Agrees, evidence);
        if (smoothed < baseline) return new(2, Verdict.PartlyAgrees, evidence + "; smoothing helps, but by less than half of what temperature scaling does");
        return new(2, Verdict.DoesNotAgree, evidence);
    }

    /// <summary>
    /// Finding 3: (a) the smoothed teacher's test accuracy above the hard teacher's, (b) students of the smoothed
    /// teacher below students of the hard teacher at the nearest smoothness index gamma.
    /// </summary>
    /// <param name="hardStudents">(gamma, test accuracy) of students of the hard-target teacher.</param>
    /// <param name="smoothStudents">(gamma, test accuracy) of students of smoothed teachers.</param>
    public static FindingVerdict Distillation(double hardTeacherAccuracy, double smoothTeacherAccuracy,
        IReadOnlyList<(double Gamma, double Accuracy)> hardStudents, IReadOnlyList<(double Gamma, double Accuracy)> smoothStudents)
    {
        var parts = new List<string>();
        bool? teacherBetter = null, studentWorse = null;
        if (double.IsFinite(hardTeacherAccuracy) && double.IsFinite(smoothTeacherAccuracy))
        {
            teacherBetter = Below(hardTeacherAccuracy, smoothTeacherAccuracy, AccuracyMargin);
            parts.Add($"teacher test accuracy {P(smoothTeacherAccuracy)} with smoothing vs {P(hardTeacherAccuracy)} without");
        }
        if (hardStudents.Count > 0 && smoothStudents.Count > 0)
        {
            int worse = 0, better = 0;
            var pairs = new List<string>();
            foreach (var (gamma, accuracy) in smoothStudents)
            {
                var match = hardStudents.MinBy(h => Math.Abs(h.Gamma - gamma));
                if (accuracy < match.Accuracy - AccuracyMargin) worse++;
                else if (accuracy > match.Accuracy + AccuracyMargin) better++;
                pairs.Add($"{P(accuracy)} (gamma {F3(gamma)}) vs {P(match.Accuracy)} (gamma {F3(match.Gamma)})");
            }
            studentWorse = worse > better ? true : better > worse ? false : null;
            parts.Add($"student accuracy from the smoothed teacher vs the hard teacher's student at the nearest gamma: {string.Join("; ", pairs)}");
        }
        var evidence = parts.Count > 0 ? string.Join("; ", parts) : "no teachers or students to compare";
        if (parts.Count < 2)
            return new(3, Verdict.Inconclusive, evidence + (parts.Count > 0 ? " (a missing half decides nothing)" : ""));
        return new(3, Combine(teacherBetter, studentWorse), evidence + TieNote(teacherBetter, studentWorse, "accuracy differences under 0.5 points count as ties"));
    }

    /// <summary>
    /// Finding 4 from per-epoch mutual information: agrees when the smoothed teacher's value ends below its peak
    /// (it falls during training) and below the hard-target teacher's final value.
    /// </summary>
    public static FindingVerdict Information(IReadOnlyList<double> hardPerEpoch, IReadOnlyList<double> smoothPerEpoch, double logN)
    {
        var hard = hardPerEpoch.Where(double.IsFinite).ToList();
        var smooth = smoothPerEpoch.Where(double.IsFinite).ToList();
        if (hard.Count == 0 || smooth.Count < 2)
            return new(4, Verdict.Inconclusive, $"needs mutual information over at least two epochs for both teachers (got {smooth.Count} and {hard.Count})");
        double peak = smooth.Max(), last = smooth[^1];
        var evidence = $"with smoothing the estimate goes from a peak of {F3(peak)} to {F3(last)} nats, the hard-target teacher ends at {F3(hard[^1])} " +
            $"(log N = {F3(logN)}, log 2 = {F3(Math.Log(2))})";
        bool falls = last < peak - InformationMargin; // a curve that ends at its peak does not fall
        bool? keepsLess = Below(last, hard[^1], InformationMargin);
        return new(4, Combine(falls, keepsLess), evidence + TieNote(falls, keepsLess, "differences under 0.05 nats count as ties"));
    }

    /// <summary>Test accuracies closer than this (half a percentage point) are a tie.</summary>
    public const double AccuracyMargin = 0.005;

    /// <summary>Mutual-information estimates closer than this (nats) are a tie.</summary>
    public const double InformationMargin = 0.05;

    /// <summary>True when a is below b by more than the margin, false when above by more, null for a tie.</summary>
    internal static bool? Below(double a, double b, double margin) =>
        !double.IsFinite(a) || !double.IsFinite(b) ? null : a < b - margin ? true : a > b + margin ? false : null;

    /// <summary>Both halves hold: agrees; one holds: partly; both fail: does not; otherwise (ties): inconclusive.</summary>
    internal static Verdict Combine(bool? first, bool? second) =>
        first == true && second == true ? Verdict.Agrees
        : first == true || second == true ? Verdict.PartlyAgrees
        : first == false && second == false ? Verdict.DoesNotAgree
        : Verdict.Inconclusive;

    private static string TieNote(bool? first, bool? second, string rule) =>
        first is null || second is null ? $" ({rule})" : "";
}
