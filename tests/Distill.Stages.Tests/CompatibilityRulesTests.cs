using Distill.Stages.Compatibility;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>
/// The compatibility study's fixed rules on constructed numbers: C1 (Shen et al., Delta_1), C2 (Chandrasegaran et al.,
/// Delta_1 - Delta_Tmax) and C3 (the diffusion change, with its dissimilar control), each verdict and "not tested".
/// </summary>
public sealed class CompatibilityRulesTests
{
    /// <summary>
    /// One alpha over seeds 1-3: at each T, the hard-target teacher's student at 0.80 and the smoothed one's at 0.80 + delta
    /// (plus a per-seed jitter, so intervals have a width); diffusion H and H_ctl rising by the given amounts from T = 1 to T = 4.
    /// </summary>
    private static CompatibilityAlpha Alpha(double alpha, IReadOnlyDictionary<double, double> deltaByT, double jitter = 0.002,
        double similarRise = 0, double controlRise = 0, int seeds = 3) =>
        new(alpha, Enumerable.Range(1, seeds).Select(seed =>
        {
            double wobble = jitter * (seed - 2);
            return new CompatibilitySeed(seed, deltaByT.ToDictionary(kv => kv.Key, kv =>
            {
                double rise = kv.Key >= 2 ? 1 : 0;
                return new StudentPair(0.80, 0.80 + kv.Value + wobble,
                    HardSimilar: 1.2, SmoothSimilar: 1.2 + rise * (similarRise + wobble), HardControl: 0.9, SmoothControl: 0.9 + rise * (controlRise + wobble));
            }));
        }).ToList());

    private static Dictionary<double, double> Deltas(double atOne, double atTwo, double atFour) => new() { [1] = atOne, [2] = atTwo, [4] = atFour };

    [Fact]
    public void C1_agrees_when_most_smoothed_teachers_students_are_better_at_T_1_and_disagrees_when_worse()
    {
        var better = CompatibilityRules.AtTemperatureOne([Alpha(0.1, Deltas(0.02, 0, 0)), Alpha(0.2, Deltas(0.01, 0, 0))]);
        Assert.Equal(Verdict.Agrees, better.Outcome);
        Assert.Contains("alpha 0.1 2.0 points [", better.Evidence);
        Assert.Contains("n = 3", better.Evidence);
        Assert.StartsWith("Finding C1 (a label-smoothed teacher's student at T = 1 is as good or better (Shen et al.)): agrees: ", better.Sentence);

        Assert.Equal(Verdict.Disagrees, CompatibilityRules.AtTemperatureOne([Alpha(0.1, Deltas(-0.02, 0, 0)), Alpha(0.2, Deltas(-0.01, 0, 0))]).Outcome);
    }

    [Fact]
    public void C1_is_inconclusive_when_only_half_of_the_alphas_decide_or_the_interval_straddles_zero()
    {
        Assert.Equal(Verdict.Inconclusive, CompatibilityRules.AtTemperatureOne([Alpha(0.1, Deltas(0.02, 0, 0)), Alpha(0.2, Deltas(0, 0, 0))]).Outcome);
        Assert.Equal(Verdict.Inconclusive, CompatibilityRules.AtTemperatureOne([Alpha(0.1, Deltas(0.001, 0, 0), jitter: 0.02)]).Outcome);
    }

    [Fact]
    public void C1_with_fewer_than_three_seeds_or_no_students_at_T_1_is_not_tested()
    {
        var two = CompatibilityRules.AtTemperatureOne([Alpha(0.1, Deltas(0.02, 0, 0), seeds: 2)]);
        Assert.Equal(Verdict.NotTested, two.Outcome);
        Assert.Contains("2 seeds, 3 needed", two.Evidence);
        var noOne = CompatibilityRules.AtTemperatureOne([Alpha(0.1, new Dictionary<double, double> { [2] = 0.02 })]);
        Assert.Equal(Verdict.NotTested, noOne.Outcome);
    }

    [Fact]
    public void C2_agrees_when_the_advantage_at_T_1_shrinks_by_the_largest_T_and_disagrees_when_it_grows()
    {
        // Delta_1 - Delta_4: 0.01 - (-0.02) = 3 points for both alphas.
        var shrinks = CompatibilityRules.Shrinking([Alpha(0.1, Deltas(0.01, -0.01, -0.02)), Alpha(0.2, Deltas(0.01, -0.005, -0.02))]);
        Assert.Equal(Verdict.Agrees, shrinks.Outcome);
        Assert.Contains("alpha 0.1 (T max 4) 3.0 points [", shrinks.Evidence);
        Assert.Contains("T 2 -1.0 points", shrinks.Evidence); // Delta_T at every T, beside it

        Assert.Equal(Verdict.Disagrees, CompatibilityRules.Shrinking([Alpha(0.1, Deltas(0, 0.01, 0.02)), Alpha(0.2, Deltas(0, 0.01, 0.03))]).Outcome);
        Assert.Equal(Verdict.Inconclusive, CompatibilityRules.Shrinking([Alpha(0.1, Deltas(0.01, 0.01, 0.01))]).Outcome);
    }

    [Fact]
    public void C2_needs_students_at_T_1_and_at_a_T_of_two_or_more()
    {
        var onlyOne = CompatibilityRules.Shrinking([Alpha(0.1, new Dictionary<double, double> { [1] = 0.02, [1.5] = 0 })]);
        Assert.Equal(Verdict.NotTested, onlyOne.Outcome);
        Assert.Contains("T of 2 or more", onlyOne.Evidence);
    }

    [Fact]
    public void C3_agrees_when_the_smoothed_teachers_student_spreads_toward_similar_classes_but_not_toward_the_controls()
    {
        var deltas = Deltas(0, 0, 0);
        var agrees = CompatibilityRules.Diffusion([Alpha(0.1, deltas, similarRise: 0.3), Alpha(0.2, deltas, similarRise: 0.4)]);
        Assert.Equal(Verdict.Agrees, agrees.Outcome);
        Assert.Contains("similar 0.300 [", agrees.Evidence);
        Assert.Contains("not the paper's formula", agrees.Evidence);

        // The same spread toward the dissimilar controls: diffusion everywhere, not toward similar classes.
        Assert.Equal(Verdict.Inconclusive, CompatibilityRules.Diffusion([Alpha(0.1, deltas, similarRise: 0.3, controlRise: 0.3), Alpha(0.2, deltas, similarRise: 0.4, controlRise: 0.3)]).Outcome);
        Assert.Equal(Verdict.Disagrees, CompatibilityRules.Diffusion([Alpha(0.1, deltas, similarRise: -0.3), Alpha(0.2, deltas, similarRise: -0.2)]).Outcome);
    }

    [Fact]
    public void C3_without_the_diffusion_measured_is_not_tested()
    {
        var unmeasured = new CompatibilityAlpha(0.1, [.. Enumerable.Range(1, 3).Select(s => new CompatibilitySeed(s, new Dictionary<double, double> { [1] = 0, [4] = 0 }
            .ToDictionary(kv => kv.Key, _ => new StudentPair(0.8, 0.81))))]);

        var verdict = CompatibilityRules.Diffusion([unmeasured]);

        Assert.Equal(Verdict.NotTested, verdict.Outcome);
        Assert.Contains("diffusion", verdict.Evidence);
    }
}
