using Distill.Analysis.Statistics;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Compatibility;

/// <summary>
/// The compatibility study's regime: the conditions under which its effects can show at all (smoothed teachers that
/// are smoother, a temperature of 2 or more beside T = 1, the diffusion measured, similar pairs that are similar in the
/// baseline). Thresholds are this project's choice, stated in each condition; the verdict rules do not read them.
/// </summary>
public static class CompatibilityRegime
{
    public static IReadOnlyList<Precondition> Measure(IReadOnlyList<StudentResult> students, IReadOnlyList<CompatibilityAlpha> alphas) =>
        [Smoother(students), Temperatures(alphas), Measured(students), SimilarPairs(students)];

    /// <summary>Each smoothed teacher's smoothness gamma at T = 1 above the hard-target teacher's.</summary>
    private static Precondition Smoother(IReadOnlyList<StudentResult> students)
    {
        const string condition = "smoothed teachers are smoother: each smoothed alpha's teacher gamma at T = 1 above the hard-target teacher's";
        var atOne = students.Where(s => s.Temperature == 1 && double.IsFinite(s.TeacherGamma)).GroupBy(s => s.TeacherAlpha).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.Average(s => s.TeacherGamma));
        if (!atOne.TryGetValue(0, out var hard) || atOne.Count < 2)
            return new(null, "smoother teachers", condition, "needs students of both teachers at T = 1", "alpha 0.1 vs 0", RegimeStatus.Unknown);
        var smoothed = atOne.Where(kv => kv.Key > 0).ToList();
        var measured = $"hard {F3(hard)}; " + string.Join(", ", smoothed.Select(kv => $"alpha {F(kv.Key)} {F3(kv.Value)}"));
        return new(null, "smoother teachers", condition, measured, "alpha 0.1 vs 0", smoothed.All(kv => kv.Value > hard) ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    /// <summary>Students at T = 1 and at a T of 2 or more for every smoothed alpha (the papers' drop shows from T = 2).</summary>
    private static Precondition Temperatures(IReadOnlyList<CompatibilityAlpha> alphas)
    {
        const string condition = "students of both teachers at T = 1 and at a T of 2 or more, for every smoothed alpha";
        if (alphas.Count == 0) return new("C2", "temperatures", condition, "no paired students", "T = 1, 2, 3, 64", RegimeStatus.Unknown);
        var temperatures = alphas.SelectMany(a => a.Seeds.SelectMany(s => s.ByTemperature.Keys)).Distinct().Order().Select(F);
        bool met = alphas.All(a => double.IsFinite(a.LargestTemperature));
        return new("C2", "temperatures", condition, $"T = {string.Join(", ", temperatures)}", "T = 1, 2, 3, 64", met ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    private static Precondition Measured(IReadOnlyList<StudentResult> students)
    {
        const string condition = "the students' diffusion measured on declared class pairs (distill stages' `diffusion`)";
        int measured = students.Count(s => double.IsFinite(s.DiffusionSimilar));
        return new("C3", "diffusion measured", condition, $"{measured} of {students.Count} students", "penultimate activations, ImageNet val",
            measured == 0 ? RegimeStatus.Unknown : measured == students.Count ? RegimeStatus.Met : RegimeStatus.NotMet);
    }

    /// <summary>The declared similar pairs spread toward each other more than the controls in the hard-target teacher's students at T = 1.</summary>
    private static Precondition SimilarPairs(IReadOnlyList<StudentResult> students)
    {
        const string condition = "the similar pairs are similar: in the hard-target teacher's students at T = 1, H above H_ctl (interval above 0)";
        var baseline = students.Where(s => s.TeacherAlpha == 0 && s.Temperature == 1 && double.IsFinite(s.DiffusionSimilar) && double.IsFinite(s.DiffusionDissimilar))
            .Select(s => s.DiffusionSimilar - s.DiffusionDissimilar).ToList();
        if (baseline.Count == 0) return new("C3", "similar pairs", condition, "no diffusion of the hard-target teacher's students at T = 1", "semantically similar classes", RegimeStatus.Unknown);
        var gap = MeanInterval.Of(baseline);
        var measured = baseline.Count >= 2 ? $"H - H_ctl {F3(gap.Mean)} [{F3(gap.Lower)}, {F3(gap.Upper)}], n = {gap.N}" : $"H - H_ctl {F3(gap.Mean)}, n = 1";
        bool met = baseline.Count >= 2 ? gap.Lower > 0 : gap.Mean > 0;
        return new("C3", "similar pairs", condition, measured, "semantically similar classes", met ? RegimeStatus.Met : RegimeStatus.NotMet);
    }
}
