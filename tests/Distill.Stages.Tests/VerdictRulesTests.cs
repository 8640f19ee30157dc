using Distill.Stages.Paper;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>
/// The fixed verdict rules on constructed numbers: every outcome of every finding (agrees, disagrees, inconclusive,
/// not tested, and for finding 2 not testable), each sentence naming its numbers, interval and n.
/// </summary>
public sealed class VerdictRulesTests
{
    // ---- finding 1: clusters ----------------------------------------------------------------------------------

    private static ClusterSeed Cluster(int seed, double tightnessChange, double spreadChange, double jitter = 0) => new(seed,
        new ClusterGeometry(0.30, 0.32, 0.20, 0.22),
        new ClusterGeometry(0.30 + tightnessChange + jitter, 0.32 + tightnessChange - jitter, 0.20 + spreadChange + jitter, 0.22 + spreadChange));

    [Fact]
    public void Clusters_agree_when_tighter_on_both_splits_and_no_less_equidistant()
    {
        var verdict = VerdictRules.Clusters([Cluster(1, -0.10, 0, 0.01), Cluster(2, -0.11, 0.005, -0.01), Cluster(3, -0.09, -0.005, 0.005)]);
        Assert.Equal(Verdict.Agrees, verdict.Outcome);
        Assert.Contains("n = 3", verdict.Evidence);
        Assert.Contains("tightness -0.098 [", verdict.Evidence); // -0.09, -0.12, -0.085
    }

    [Fact]
    public void Clusters_disagree_when_tightness_rises_and_are_inconclusive_when_tighter_but_less_equidistant()
    {
        Assert.Equal(Verdict.Disagrees, VerdictRules.Clusters([Cluster(1, 0.05, 0, 0.01), Cluster(2, 0.06, 0, -0.01), Cluster(3, 0.055, 0)]).Outcome);
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Clusters([Cluster(1, -0.10, 0.10, 0.01), Cluster(2, -0.11, 0.11), Cluster(3, -0.09, 0.12)]).Outcome);
        // A noisy difference whose interval straddles 0 decides nothing.
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Clusters([Cluster(1, -0.10, 0), Cluster(2, 0.09, 0), Cluster(3, -0.02, 0)]).Outcome);
    }

    [Fact]
    public void Clusters_with_fewer_than_three_seeds_or_no_projection_are_not_tested()
    {
        var two = VerdictRules.Clusters([Cluster(1, -0.1, 0), Cluster(2, -0.1, 0)]);
        Assert.Equal(Verdict.NotTested, two.Outcome);
        Assert.StartsWith("2 seeds, 3 needed; single-run numbers, no verdict: tightness 0.200 with smoothing vs 0.300 without", two.Evidence);
        Assert.Equal(Verdict.NotTested, VerdictRules.Clusters([]).Outcome);
    }

    // ---- finding 2: calibration -------------------------------------------------------------------------------

    [Fact]
    public void Calibration_agrees_when_smoothing_beats_the_baseline_and_comes_close_to_temperature_scaling()
    {
        // Baseline 0.150, scaled 0.020 (gain 0.130: tolerance max(0.01, 0.0325)); smoothed 0.030, 0.010 from scaled.
        var verdict = VerdictRules.Calibration([new(1, 0.150, 0.020, 0.030), new(2, 0.148, 0.022, 0.032), new(3, 0.152, 0.019, 0.029)], "alpha 0.05, the lowest mean validation ECE");
        Assert.Equal(Verdict.Agrees, verdict.Outcome);
        Assert.Contains("alpha 0.05, the lowest mean validation ECE", verdict.Evidence);
        Assert.Contains("(within 0.032 needed)", verdict.Evidence); // mean gain 0.1297 / 4
        Assert.Contains("n = 3", verdict.Evidence);
    }

    [Fact]
    public void Calibration_disagrees_when_not_lower_than_the_baseline_and_is_inconclusive_when_lower_but_far_from_scaling()
    {
        Assert.Equal(Verdict.Disagrees, VerdictRules.Calibration([new(1, 0.150, 0.020, 0.160), new(2, 0.148, 0.022, 0.150), new(3, 0.152, 0.019, 0.155)], "alpha 0.1").Outcome);
        // 0.090 is significantly below 0.150 but 0.070 away from the scaled 0.020 (tolerance 0.0325).
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Calibration([new(1, 0.150, 0.020, 0.090), new(2, 0.148, 0.022, 0.092), new(3, 0.152, 0.019, 0.089)], "alpha 0.1").Outcome);
    }

    [Fact]
    public void Calibration_of_an_already_calibrated_baseline_is_not_testable_and_too_few_seeds_are_not_tested()
    {
        var calibrated = VerdictRules.Calibration([new(1, 0.016, 0.016, 0.078), new(2, 0.017, 0.015, 0.070), new(3, 0.015, 0.016, 0.075)], "alpha 0.1");
        Assert.Equal(Verdict.NotTestable, calibrated.Outcome);
        Assert.StartsWith("the baseline is already calibrated: temperature scaling changes its ECE by ", calibrated.Evidence);
        Assert.Contains("(0.016 -> 0.016;", calibrated.Evidence);
        Assert.Equal(Verdict.NotTested, VerdictRules.Calibration([new(1, 0.150, 0.020, 0.030)], "alpha 0.1").Outcome);
        Assert.Equal(Verdict.NotTested, VerdictRules.Calibration([], "").Outcome);
    }

    // ---- finding 3: distillation ------------------------------------------------------------------------------

    /// <summary>Hard-target teacher's students per seed: gamma 0.05 -> 80 %, 0.30 -> 78 %, 0.60 -> 70 % (plus a little per-seed noise).</summary>
    private static List<StudentPoint> HardCurve() =>
        [.. new[] { 1, 2, 3 }.SelectMany(s => new[] { new StudentPoint(s, 0.05, 0.80 + 0.001 * s), new StudentPoint(s, 0.30, 0.78 + 0.001 * s), new StudentPoint(s, 0.60, 0.70 + 0.001 * s) })];

    private static SmoothedStudents Smoothed(double alpha, double gamma, params double[] accuracyBySeed) =>
        new(alpha, accuracyBySeed.Select((a, i) => new StudentPoint(i + 1, gamma, a)).ToList());

    private static readonly TeacherSeed[] Teachers = [new(1, 0.85, 0.86), new(2, 0.851, 0.862), new(3, 0.849, 0.859)];

    [Fact]
    public void Distillation_interpolates_the_hard_curve_at_the_smoothed_gamma_and_agrees_when_below()
    {
        // At gamma 0.175 the hard curve gives 0.79 + 0.001 s; the smoothed teacher's students reach 0.75 + 0.001 s: d = -4 points.
        var verdict = VerdictRules.Distillation(HardCurve(), [Smoothed(0.15, 0.175, 0.751, 0.752, 0.753)], Teachers);
        Assert.Equal(Verdict.Agrees, verdict.Outcome);
        Assert.Contains("alpha 0.15 -4.0 points [", verdict.Evidence);
        Assert.Contains("teacher test accuracy with smoothing minus without: 1.0 points", verdict.Evidence);
        Assert.Equal(0.79, VerdictRules.Interpolate(HardCurve().Where(p => p.Seed == 1).OrderBy(p => p.Gamma).ToList(), 0.175)!.Value - 0.001, 12);
    }

    [Fact]
    public void Distillation_disagrees_when_most_alphas_are_above_and_is_inconclusive_when_split_or_out_of_range()
    {
        Assert.Equal(Verdict.Disagrees, VerdictRules.Distillation(HardCurve(), [Smoothed(0.15, 0.175, 0.821, 0.822, 0.823), Smoothed(0.3, 0.3, 0.80, 0.80, 0.81)], Teachers).Outcome);
        // One alpha below, one above: no majority.
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Distillation(HardCurve(), [Smoothed(0.15, 0.175, 0.751, 0.752, 0.753), Smoothed(0.3, 0.3, 0.80, 0.80, 0.81)], Teachers).Outcome);
        var outside = VerdictRules.Distillation(HardCurve(), [Smoothed(0.75, 0.75, 0.60, 0.61, 0.62)], Teachers);
        Assert.Equal(Verdict.Inconclusive, outside.Outcome);
        Assert.Contains("alpha 0.75 outside the hard teacher's swept gamma range, not used", outside.Evidence);
    }

    [Fact]
    public void Distillation_without_three_seeds_or_without_students_is_not_tested()
    {
        var one = VerdictRules.Distillation(HardCurve().Where(p => p.Seed == 1).ToList(), [Smoothed(0.15, 0.175, 0.751)], [Teachers[0]]);
        Assert.Equal(Verdict.NotTested, one.Outcome);
        Assert.StartsWith("1 seed, 3 needed", one.Evidence);
        Assert.Equal(Verdict.NotTested, VerdictRules.Distillation([], [], []).Outcome);
    }

    // ---- finding 4: information -------------------------------------------------------------------------------

    private static InformationSeed Mi(int seed, double[] hard, double[] smooth) => new(seed, hard, smooth);

    [Fact]
    public void Information_agrees_when_smoothing_ends_lower_after_a_larger_drop()
    {
        // Final = mean of the last two epochs. Hard: 2.5 -> 2.45 (drop 0.15); smoothed: 2.4 -> 1.25 (drop 1.15).
        var verdict = VerdictRules.Information([Mi(1, [2.0, 2.6, 2.5, 2.4], [2.0, 2.4, 1.3, 1.2]), Mi(2, [2.0, 2.6, 2.45, 2.45], [2.1, 2.45, 1.35, 1.25]),
            Mi(3, [2.0, 2.55, 2.5, 2.4], [2.0, 2.4, 1.2, 1.3])], "alpha 0.1", Math.Log(600));
        Assert.Equal(Verdict.Agrees, verdict.Outcome);
        Assert.Contains("final MI (mean of the last two epochs) 1.267 nats with smoothing (alpha 0.1) vs 2.450 without", verdict.Evidence);
        Assert.Contains("n = 3", verdict.Evidence);
    }

    [Fact]
    public void Information_disagrees_when_smoothing_ends_higher_and_is_inconclusive_when_lower_without_a_larger_drop()
    {
        Assert.Equal(Verdict.Disagrees, VerdictRules.Information([Mi(1, [2.0, 1.5, 1.4], [2.0, 2.5, 2.4]), Mi(2, [2.0, 1.6, 1.5], [2.0, 2.4, 2.5]), Mi(3, [2.1, 1.5, 1.5], [2.0, 2.6, 2.4])], "alpha 0.1", 6.4).Outcome);
        // Lower at the end but never higher: the curve rises to its end, no larger drop.
        Assert.Equal(Verdict.Inconclusive, VerdictRules.Information([Mi(1, [2.0, 2.5, 2.6], [1.0, 1.5, 1.6]), Mi(2, [2.0, 2.4, 2.6], [1.1, 1.4, 1.6]), Mi(3, [2.0, 2.5, 2.5], [1.0, 1.5, 1.5])], "alpha 0.1", 6.4).Outcome);
    }

    [Fact]
    public void Information_needs_two_epochs_and_three_seeds()
    {
        Assert.Equal(Verdict.NotTested, VerdictRules.Information([Mi(1, [2.0], [1.0])], "alpha 0.1", 6.4).Outcome);
        var two = VerdictRules.Information([Mi(1, [2.0, 2.5, 2.6], [2.0, 2.4, 1.2]), Mi(2, [2.0, 2.5, 2.6], [2.0, 2.4, 1.2])], "alpha 0.1", 6.4);
        Assert.Equal(Verdict.NotTested, two.Outcome);
        Assert.StartsWith("2 seeds, 3 needed", two.Evidence);
    }
}
