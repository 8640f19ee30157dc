using Distill.Stages.Paper;
using Distill.Stages.Reporting;

namespace Distill.EndToEnd.Tests;

/// <summary>The report's verdict rules: each outcome is reachable and the sentence names the finding and the numbers.</summary>
public sealed class FindingsTests
{
    [Fact]
    public void CalibrationAgreesWhenSmoothingRecoversMostOfTemperatureScalingsGain()
    {
        var verdict = Findings.Calibration(baseline: 0.120, scaled: 0.029, temperature: 1.9, smoothed: 0.031, alpha: 0.1);
        Assert.Equal(Verdict.Agrees, verdict.Outcome);
        Assert.StartsWith("Finding 2 (label smoothing calibrates about as well as temperature scaling): agrees: ECE 0.031 with label smoothing", verdict.Sentence);
        Assert.Contains("0.029", verdict.Sentence);
        Assert.Contains("baseline 0.120", verdict.Sentence);
    }

    [Theory]
    [InlineData(0.120, 0.029, 0.090, Verdict.PartlyAgrees)]
    [InlineData(0.120, 0.029, 0.150, Verdict.DoesNotAgree)]
    [InlineData(0.030, 0.028, 0.010, Verdict.Inconclusive)]
    [InlineData(0.080, 0.126, 0.199, Verdict.Inconclusive)]
    public void CalibrationOtherOutcomes(double baseline, double scaled, double smoothed, Verdict expected) =>
        Assert.Equal(expected, Findings.Calibration(baseline, scaled, 1.5, smoothed, 0.1).Outcome);

    [Theory]
    [InlineData(0.10, 0.10, Verdict.Agrees)]
    [InlineData(0.10, 0.20, Verdict.PartlyAgrees)]
    [InlineData(0.30, 0.30, Verdict.DoesNotAgree)]
    public void ClustersCompareTightnessAndSpread(double smoothTightness, double smoothSpread, Verdict expected) =>
        Assert.Equal(expected, Findings.Clusters("alpha 0", 0.25, 0.15, "alpha 0.1", smoothTightness, smoothSpread).Outcome);

    [Fact]
    public void DistillationComparesStudentsAtTheNearestGamma()
    {
        var hard = new List<(double, double)> { (0.05, 0.80), (0.30, 0.78), (0.60, 0.70) };
        Assert.Equal(Verdict.Agrees, Findings.Distillation(0.85, 0.86, hard, [(0.28, 0.75)]).Outcome);
        Assert.Equal(Verdict.PartlyAgrees, Findings.Distillation(0.85, 0.86, hard, [(0.28, 0.79)]).Outcome);
        Assert.Equal(Verdict.DoesNotAgree, Findings.Distillation(0.86, 0.85, hard, [(0.58, 0.75)]).Outcome);
        Assert.Equal(Verdict.Inconclusive, Findings.Distillation(0.85, 0.86, hard, []).Outcome);
        // Differences within half a point are ties: here both halves tie.
        Assert.Equal(Verdict.Inconclusive, Findings.Distillation(0.850, 0.853, hard, [(0.28, 0.777)]).Outcome);
    }

    [Fact]
    public void InformationAgreesWhenTheSmoothedCurveFallsBelowItsPeakAndTheHardTeachersEnd()
    {
        Assert.Equal(Verdict.Agrees, Findings.Information([2.0, 2.5, 2.6], [2.0, 2.4, 1.2], Math.Log(600)).Outcome);
        Assert.Equal(Verdict.PartlyAgrees, Findings.Information([2.0, 2.5, 1.0], [2.0, 2.4, 1.2], Math.Log(600)).Outcome);
        Assert.Equal(Verdict.DoesNotAgree, Findings.Information([2.0, 2.5, 1.0], [1.0, 2.0, 3.0], Math.Log(600)).Outcome);
        Assert.Equal(Verdict.Inconclusive, Findings.Information([2.0], [1.0], Math.Log(600)).Outcome);
        // Ending level with the hard-target teacher (within 0.05 nats) is a tie: only the fall counts.
        Assert.Equal(Verdict.PartlyAgrees, Findings.Information([2.0, 1.9, 1.64], [1.6, 1.8, 1.63], Math.Log(600)).Outcome);
    }
}
