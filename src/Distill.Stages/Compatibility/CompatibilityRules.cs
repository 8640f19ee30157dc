using Distill.Analysis.Statistics;
using Distill.Stages.Paper;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Compatibility;

/// <summary>One temperature of one seed: the hard-target teacher's and a smoothed teacher's students (accuracy, and diffusion H and H_ctl).</summary>
public sealed record StudentPair(double HardAccuracy, double SmoothAccuracy,
    double HardSimilar = double.NaN, double SmoothSimilar = double.NaN, double HardControl = double.NaN, double SmoothControl = double.NaN)
{
    public double Delta => SmoothAccuracy - HardAccuracy;
}

/// <summary>One seed of one smoothed alpha: its student pairs by temperature.</summary>
public sealed record CompatibilitySeed(int Seed, IReadOnlyDictionary<double, StudentPair> ByTemperature);

/// <summary>One smoothed alpha's seeds.</summary>
public sealed record CompatibilityAlpha(double Alpha, IReadOnlyList<CompatibilitySeed> Seeds)
{
    /// <summary>The largest temperature of 2 or more at which a seed has both students and a T = 1 pair beside it; NaN when none.</summary>
    public double LargestTemperature => Seeds.Where(s => s.ByTemperature.ContainsKey(1)).SelectMany(s => s.ByTemperature.Keys)
        .Where(t => t >= 2).DefaultIfEmpty(double.NaN).Max();

    /// <summary>Per seed having both: f(pair at T = 1, pair at T_max).</summary>
    public IReadOnlyList<double> AcrossTemperatures(Func<StudentPair, StudentPair, double> f)
    {
        double top = LargestTemperature;
        return Seeds.Where(s => s.ByTemperature.ContainsKey(1) && s.ByTemperature.ContainsKey(top))
            .Select(s => f(s.ByTemperature[1], s.ByTemperature[top])).Where(double.IsFinite).ToList();
    }
}

/// <summary>
/// The compatibility study's verdict rules (the project's method notes, "A second study: compatibility"), fixed before
/// any run and judged like the paper's: paired by seed, 95 % t-intervals, at least 3 seeds, "most alphas" meaning more
/// than half of the smoothed alphas present. Delta_T = accuracy of the smoothed teacher's student at T minus the
/// hard-target teacher's student at T, same seed and KD form.
/// </summary>
public static class CompatibilityRules
{
    /// <summary>C1 (Shen et al.): d = Delta_1. Agrees: significantly above 0 for most alphas; disagrees: below 0 for most.</summary>
    public static FindingVerdict AtTemperatureOne(IReadOnlyList<CompatibilityAlpha> alphas)
    {
        var per = alphas.Select(a => (a.Alpha, D: a.Seeds.Where(s => s.ByTemperature.ContainsKey(1)).Select(s => s.ByTemperature[1].Delta).Where(double.IsFinite).ToList()))
            .Where(a => a.D.Count > 0).ToList();
        if (per.Count == 0) return VerdictRules.NotTested(CompatibilityStudy.TemperatureOne, "needs students of the hard-target and of a smoothed teacher at T = 1");
        var levels = $"smoothed minus hard-target teacher's student at T = 1: {string.Join("; ", per.Select(a => $"alpha {F(a.Alpha)} {Points(a.D)}"))}";
        return Judge(CompatibilityStudy.TemperatureOne, per.Select(a => (a.Alpha, (IReadOnlyList<double>)a.D)).ToList(), levels, up: d => d.SignificantlyAboveZero, down: d => d.SignificantlyBelowZero);
    }

    /// <summary>
    /// C2 (Chandrasegaran et al.): needs students at T = 1 and at some T >= 2 for both teachers; d = Delta_1 - Delta_Tmax.
    /// Agrees: significantly above 0 for most alphas; disagrees: below 0 for most. Delta_T at every T is reported beside it.
    /// </summary>
    public static FindingVerdict Shrinking(IReadOnlyList<CompatibilityAlpha> alphas)
    {
        var per = alphas.Where(a => double.IsFinite(a.LargestTemperature))
            .Select(a => (a.Alpha, Top: a.LargestTemperature, D: a.AcrossTemperatures((one, top) => one.Delta - top.Delta))).Where(a => a.D.Count > 0).ToList();
        if (per.Count == 0) return VerdictRules.NotTested(CompatibilityStudy.Shrinking, "needs students of both teachers at T = 1 and at some T of 2 or more");
        var everyT = alphas.Select(a => $"alpha {F(a.Alpha)}: " + string.Join(", ", a.Seeds.SelectMany(s => s.ByTemperature).GroupBy(kv => kv.Key).OrderBy(g => g.Key)
            .Select(g => $"T {F(g.Key)} {Points(g.Select(kv => kv.Value.Delta).ToList())}")));
        var levels = $"Delta_1 - Delta_Tmax: {string.Join("; ", per.Select(a => $"alpha {F(a.Alpha)} (T max {F(a.Top)}) {Points(a.D)}"))}; Delta_T: {string.Join("; ", everyT)}";
        return Judge(CompatibilityStudy.Shrinking, per.Select(a => (a.Alpha, a.D)).ToList(), levels, up: d => d.SignificantlyAboveZero, down: d => d.SignificantlyBelowZero);
    }

    /// <summary>
    /// C3 (Chandrasegaran et al.'s mechanism): d = [H(alpha, Tmax) - H(alpha, 1)] - [H(hard, Tmax) - H(hard, 1)] over the
    /// similar pairs, and the same on the dissimilar controls (H_ctl). Agrees: d significantly above 0 for most alphas, with
    /// the control's not significantly above 0; disagrees: d significantly below 0 for most.
    /// </summary>
    public static FindingVerdict Diffusion(IReadOnlyList<CompatibilityAlpha> alphas)
    {
        static double Change(StudentPair one, StudentPair top, bool control) => control
            ? (top.SmoothControl - one.SmoothControl) - (top.HardControl - one.HardControl)
            : (top.SmoothSimilar - one.SmoothSimilar) - (top.HardSimilar - one.HardSimilar);
        var per = alphas.Where(a => double.IsFinite(a.LargestTemperature))
            .Select(a => (a.Alpha, Top: a.LargestTemperature, D: a.AcrossTemperatures((one, top) => Change(one, top, false)), Control: a.AcrossTemperatures((one, top) => Change(one, top, true))))
            .Where(a => a.D.Count > 0).ToList();
        if (per.Count == 0) return VerdictRules.NotTested(CompatibilityStudy.Diffusion, "needs the diffusion measured (distill stages' `diffusion`) on students of both teachers at T = 1 and at some T of 2 or more");
        var controls = per.ToDictionary(a => a.Alpha, a => MeanInterval.Of(a.Control));
        var levels = "change of H from T = 1 to T max, smoothed minus hard-target teacher's student: " +
            string.Join("; ", per.Select(a => $"alpha {F(a.Alpha)} (T max {F(a.Top)}) similar {VerdictRules.Interval(MeanInterval.Of(a.D))}, control {VerdictRules.Interval(controls[a.Alpha])}")) +
            " (H: mean diffusion over the declared pairs, this project's reading of \"systematic diffusion\", not the paper's formula)";
        return Judge(CompatibilityStudy.Diffusion, per.Select(a => (a.Alpha, a.D)).ToList(), levels,
            up: d => d.SignificantlyAboveZero, down: d => d.SignificantlyBelowZero, alsoUp: alpha => !controls[alpha].SignificantlyAboveZero);
    }

    private static FindingVerdict Judge(StudyFinding finding, IReadOnlyList<(double Alpha, IReadOnlyList<double> D)> per, string levels,
        Func<MeanInterval, bool> up, Func<MeanInterval, bool> down, Func<double, bool>? alsoUp = null)
    {
        int seeds = per.Max(a => a.D.Count);
        if (seeds < VerdictRules.MinimumSeeds) return VerdictRules.TooFewSeeds(finding, seeds, levels);
        var intervals = per.Select(a => (a.Alpha, D: MeanInterval.Of(a.D))).ToList();
        var evidence = $"{levels}; n = {seeds}";
        if (2 * intervals.Count(a => up(a.D) && (alsoUp?.Invoke(a.Alpha) ?? true)) > intervals.Count) return new(finding, Verdict.Agrees, evidence);
        if (2 * intervals.Count(a => down(a.D)) > intervals.Count) return new(finding, Verdict.Disagrees, evidence);
        return new(finding, Verdict.Inconclusive, evidence);
    }

    private static string Points(IReadOnlyList<double> differences)
    {
        var interval = MeanInterval.Of(differences);
        return interval.N >= 2 ? VerdictRules.Points(interval) : $"{(100 * interval.Mean).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} points (n = 1)";
    }
}
