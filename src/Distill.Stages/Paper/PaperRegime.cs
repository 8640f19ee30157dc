using Distill.Analysis.Statistics;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Paper;

/// <summary>
/// The paper's regime, measured: the conditions under which each finding's effect can show at all (an over-confident
/// hard-target teacher, an alpha grid around the calibrating alpha, gammas inside the swept range, a probe that is
/// neither saturated nor blind, enough examples per cluster). The verdict rules stay as they are; these say whether a
/// verdict could have gone the paper's way, so a reader can tell "the effect is absent" from "this run cannot show it".
/// Thresholds are this project's choice, stated in each condition.
/// </summary>
public static class PaperRegime
{
    /// <summary>Over-confidence of the hard-target teacher at T = 1: the interval's lower end above this (paper: 0.150).</summary>
    public const double MinimumHardEce = 0.05;

    /// <summary>
    /// What temperature scaling fixes: the interval's lower end above this (paper: 0.129). Below it the rule's tolerance,
    /// max(0.01, gain / 4), asks a smoothed teacher for near-perfect calibration.
    /// </summary>
    public const double MinimumScalingGain = 0.04;

    /// <summary>The probe's final MI must stay this many nats away from both log 2 (blind) and log N (saturated).</summary>
    public const double InformationMargin = 0.1;

    /// <summary>Examples per class and split for cluster geometry to be more than noise.</summary>
    public const int MinimumProjectionExamples = 50;

    /// <summary>Hard-target training loss at the end: near zero is where over-confidence shows (paper: trained to convergence).</summary>
    public const double MaximumHardTrainLoss = 0.05;

    public static IReadOnlyList<Precondition> Measure(RunResults results) =>
    [
        TrainingLoss(results), HardEce(results), ScalingGain(results), AlphaBracket(results), GammaRange(results),
        InformationRange(results), ProbeViews(results), ProjectionExamples(results),
    ];

    public const string Caption = "Whether this run is in the state where the paper's effects can show; means over seeds with 95 % t-intervals. " +
        "A finding whose precondition is not met says so beside its verdict: the verdict rules are unchanged, but such a verdict says little about the paper.";

    private static Precondition TrainingLoss(RunResults results)
    {
        var hard = ModelRoles.Teachers(results).Where(t => t.Alpha == 0).Select(t => t.TrainLoss).Where(double.IsFinite).ToList();
        const string condition = "hard-target teacher trained to (near) zero loss: final training loss below 0.05";
        if (hard.Count == 0) return new(null, "training loss", condition, "no hard-target teacher", "near 0", RegimeStatus.Unknown);
        var loss = MeanInterval.Of(hard);
        return new(null, "training loss", condition, Measured(loss, hard.Count), "near 0", loss.Mean < MaximumHardTrainLoss ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    private static Precondition HardEce(RunResults results)
    {
        var hard = PaperFindings.CalibrationPair(results).Hard;
        const string condition = "hard-target teacher over-confident: ECE at T = 1, interval above 0.05";
        if (hard.Count == 0) return new("2", "hard-teacher ECE", condition, "no calibrate stage of a hard-target teacher", "0.150", RegimeStatus.Unknown);
        var ece = MeanInterval.Of(hard.Select(c => c.Ece));
        return new("2", "hard-teacher ECE", condition, Measured(ece, hard.Count), "0.150", Above(ece, MinimumHardEce, hard.Count));
    }

    private static Precondition ScalingGain(RunResults results)
    {
        var hard = PaperFindings.CalibrationPair(results).Hard;
        const string condition = "temperature scaling has something to fix: ECE(T = 1) - ECE(scaled), interval above 0.04";
        if (hard.Count == 0) return new("2", "scaling gain", condition, "no calibrate stage of a hard-target teacher", "0.129", RegimeStatus.Unknown);
        var gain = MeanInterval.Of(hard.Select(c => c.Ece - c.EceScaled));
        return new("2", "scaling gain", condition, $"{Measured(gain, hard.Count)}, T {F2(hard.Average(c => c.FittedTemperature))}", "0.129 (T 1.9)", Above(gain, MinimumScalingGain, hard.Count));
    }

    /// <summary>The alpha with the lowest mean fit-split ECE has a smaller and a larger alpha in the grid (alpha 0 counts).</summary>
    private static Precondition AlphaBracket(RunResults results)
    {
        const string condition = "the alpha grid brackets the alpha with the lowest held-out ECE (a smaller and a larger alpha beside it)";
        var byAlpha = results.Of<CalibrationResult>().Where(c => !c.OfStudent && double.IsFinite(c.Alpha) && double.IsFinite(c.FitEce))
            .GroupBy(c => c.Alpha).Select(g => (Alpha: g.Key, FitEce: g.Average(c => c.FitEce))).OrderBy(g => g.Alpha).ToList();
        if (byAlpha.Count < 2) return new("2", "alpha grid", condition, byAlpha.Count == 0 ? "no calibrate stages" : "one alpha", "alpha 0.05 of a 0-0.1 grid on CIFAR-100", RegimeStatus.Unknown);
        var best = byAlpha.MinBy(g => g.FitEce);
        bool bracketed = byAlpha[0].Alpha < best.Alpha && best.Alpha < byAlpha[^1].Alpha;
        var grid = string.Join(", ", byAlpha.Select(g => g.Alpha == best.Alpha ? $"**{F(g.Alpha)}**" : F(g.Alpha)));
        return new("2", "alpha grid", condition, $"lowest {F3(best.FitEce)} at alpha {F(best.Alpha)} of {grid}", "bracketed", bracketed ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    /// <summary>Every smoothed teacher's gamma (students at T = 1) lies inside its seed's hard-teacher swept gamma range.</summary>
    private static Precondition GammaRange(RunResults results)
    {
        const string condition = "every smoothed teacher's gamma (T = 1) inside the hard-target teacher's swept gamma range";
        var students = PaperFindings.Students(results).Where(s => double.IsFinite(s.TeacherGamma)).ToList();
        var hard = students.Where(s => s.TeacherAlpha == 0).GroupBy(s => s.Replicate ?? 0)
            .ToDictionary(g => g.Key, g => (Low: g.Min(s => s.TeacherGamma), High: g.Max(s => s.TeacherGamma)));
        var smoothed = PaperFindings.SmoothedAtTemperatureOne(results).Where(s => double.IsFinite(s.TeacherGamma)).ToList();
        if (hard.Count == 0 || smoothed.Count == 0) return new("3", "gamma range", condition, "needs students of both teachers", "inside", RegimeStatus.Unknown);
        var outside = smoothed.Where(s => !hard.TryGetValue(s.Replicate ?? 0, out var range) || s.TeacherGamma < range.Low || s.TeacherGamma > range.High)
            .Select(s => F(s.TeacherAlpha)).Distinct().ToList();
        var measured = $"swept {F3(hard.Values.Average(r => r.Low))} to {F3(hard.Values.Average(r => r.High))}; smoothed " +
            string.Join(", ", smoothed.GroupBy(s => s.TeacherAlpha).Select(g => $"alpha {F(g.Key)} at {F3(g.Average(s => s.TeacherGamma))}")) +
            (outside.Count == 0 ? "" : $"; outside: alpha {string.Join(", ", outside)}");
        return new("3", "gamma range", condition, measured, "inside", outside.Count == 0 ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    /// <summary>The hard-target teacher's final MI (mean of its last two epochs) clearly inside (log 2, log N).</summary>
    private static Precondition InformationRange(RunResults results)
    {
        var probed = ModelRoles.Probed(results);
        var logN = ModelRoles.LogN(probed);
        var condition = $"hard-target teacher's final MI at least {F(InformationMargin)} nats away from log 2 ({F3(Math.Log(2))}) and log N ({F3(logN)})";
        var finals = probed.Where(t => t.Alpha == 0).Select(t => t.MutualInformation.Values.Where(double.IsFinite).ToList()).Where(v => v.Count >= 2)
            .Select(v => (v[^1] + v[^2]) / 2).ToList();
        if (finals.Count == 0) return new("4", "MI range", condition, "no probed hard-target teacher", "between the two", RegimeStatus.Unknown);
        var final = MeanInterval.Of(finals);
        var (low, high) = finals.Count >= 2 ? (final.Lower, final.Upper) : (final.Mean, final.Mean);
        bool inside = low > Math.Log(2) + InformationMargin && high < logN - InformationMargin;
        return new("4", "MI range", condition, Measured(final, finals.Count) + " nats", "between the two", inside ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    private static Precondition ProbeViews(RunResults results)
    {
        const string condition = "the probe measures through the views the teachers trained on";
        var probed = ModelRoles.Probed(results).Where(t => t.ProbeSeesTrainingViews is not null).ToList();
        if (probed.Count == 0) return new("4", "probe views", condition, "no probed teacher", "crop + flip at training and probing", RegimeStatus.Unknown);
        int matching = probed.Count(t => t.ProbeSeesTrainingViews == true);
        return new("4", "probe views", condition, $"{matching} of {probed.Count} probed teachers", "crop + flip at training and probing",
            matching == probed.Count ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    private static Precondition ProjectionExamples(RunResults results)
    {
        var condition = $"at least {MinimumProjectionExamples} examples per class and split in the projection";
        var teacherProjections = results.Of<ProjectionResult>().Where(p => p.Models.Count == 2 && p.Models.All(m => !m.IsStudent) && double.IsFinite(p.ExamplesPerClass)).ToList();
        if (teacherProjections.Count == 0) return new("1", "projection size", condition, "no projection of two teachers", "the full splits", RegimeStatus.Unknown);
        var fewest = teacherProjections.Min(p => p.ExamplesPerClass);
        return new("1", "projection size", condition, $"{F(fewest)} per class", "the full splits", fewest >= MinimumProjectionExamples ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    /// <summary>Met when the interval (the value itself for one seed) lies above the threshold.</summary>
    private static RegimeStatus Above(MeanInterval value, double threshold, int n) =>
        (n >= 2 ? value.Lower : value.Mean) > threshold ? RegimeStatus.Met : RegimeStatus.NotMet;

    private static string Measured(MeanInterval value, int n) =>
        n >= 2 ? $"{F3(value.Mean)} [{F3(value.Lower)}, {F3(value.Upper)}], n = {n}" : $"{F3(value.Mean)}, n = 1";
}
