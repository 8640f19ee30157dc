using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Compatibility;
using Distill.Stages.Kinds;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>
/// The compatibility study as a plug-in: which KD forms it reads (named in the report's loss column), how it pairs the
/// two teachers' students by seed and temperature, when it turns itself on, and its regime.
/// </summary>
public sealed class CompatibilityStudyTests
{
    private static readonly EpochCurve NoCurve = new([]);

    /// <summary>A distill stage's parameters as the pipeline binds them from its keys.</summary>
    private static DistillParameters Keys(string keys)
    {
        var yaml = "name: t\ndatasets:\n  fm: { kind: fashion-mnist }\nmodels:\n  net: { architecture: alexnet }\nstages:\n" +
            "  teacher: { kind: train, dataset: fm, model: net }\n  cache: { kind: cache-logits, inputs: { teacher: teacher } }\n" +
            $"  student: {{ kind: distill, dataset: fm, model: net, inputs: {{ teacher: cache }}{keys} }}\n";
        var result = PipelineLoader.LoadFromText(yaml, "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return ParameterRecords.Read<DistillParameters>(result.Pipeline!.Stage("student").Parameters);
    }

    private static StudentResult Student(DistillParameters p, int seed = 1, double alpha = 0, double accuracy = 0.8, double similar = double.NaN, double control = double.NaN) =>
        new($"student-{alpha}-T{p.Temperature}-seed{seed}", seed, $"student (alpha {alpha}, temperature {p.Temperature})", $"cache-{alpha}", alpha, p.Temperature, 0.1 + alpha,
            accuracy, NoCurve, p, "net") { DiffusionSimilar = similar, DiffusionDissimilar = control };

    [Theory]
    [InlineData(", temperature: 4", KdForm.Muller, "kd, beta 1, student at T = 1 (Müller et al.)")]
    [InlineData(", temperature: 4, student-temperature: 4, t-squared: true", KdForm.Chandrasegaran, "kd, beta 1, student at T, x T^2 (Chandrasegaran et al.)")]
    [InlineData(", temperature: 1, t-squared: true", KdForm.Both, "kd, beta 1, student at T = 1, x T^2 (Müller et al. = Chandrasegaran et al. at T = 1)")]
    [InlineData(", temperature: 4, student-temperature: 4, t-squared: true, beta: 0.9", KdForm.Other, "kd, beta 0.9, student at T, x T^2")]
    [InlineData(", temperature: 4, student-temperature: 4", KdForm.Other, "kd, beta 1, student at T")]
    [InlineData(", temperature: 4, student-temperature: 4, t-squared: true, divergence: reverse-kl", KdForm.Other, "kd, beta 1, student at T, x T^2, reverse KL")]
    public void Each_papers_kd_form_is_named_from_its_keys(string keys, KdForm form, string named)
    {
        var student = Student(Keys(keys));

        Assert.Equal(form, student.PublishedForm);
        Assert.Equal(named, student.Form);
    }

    [Fact]
    public void Students_pair_by_seed_and_temperature_and_other_forms_are_left_out()
    {
        var chandrasegaran = (double t) => Keys($", temperature: {t}, student-temperature: {t}, t-squared: true");
        var results = RunResults.From(new[] { 1, 2, 3 }.SelectMany(seed => new object[]
        {
            Student(chandrasegaran(1), seed, 0, 0.80), Student(chandrasegaran(1), seed, 0.1, 0.82),
            Student(chandrasegaran(4), seed, 0, 0.81), Student(chandrasegaran(4), seed, 0.1, 0.79),
            Student(Keys(", temperature: 4"), seed, 0.1, 0.50), // Müller et al.'s form at T = 4: another loss, not paired
        }));

        var alphas = CompatibilityStudy.Alphas(results);

        var alpha = Assert.Single(alphas);
        Assert.Equal(0.1, alpha.Alpha);
        Assert.Equal(3, alpha.Seeds.Count);
        Assert.All(alpha.Seeds, s => Assert.Equal([1.0, 4.0], s.ByTemperature.Keys.Order()));
        Assert.Equal(-0.02, alpha.Seeds[0].ByTemperature[4].Delta, 12);
        Assert.Equal(4, alpha.LargestTemperature);
        Assert.True(new CompatibilityStudy().AppliesTo(results));
    }

    [Fact]
    public void The_papers_finding_3_reads_only_students_of_muller_et_als_form()
    {
        var muller = Student(Keys(", temperature: 4"), 1, 0);
        var atOne = Student(Keys(", temperature: 1"), 1, 0.1);
        var chandrasegaran = Student(Keys(", temperature: 4, student-temperature: 4, t-squared: true"), 1, 0);

        var read = Paper.PaperFindings.Students(RunResults.From([muller, atOne, chandrasegaran])).ToList();

        Assert.Equal([muller, atOne], read);
    }

    [Fact]
    public void Only_one_teachers_students_or_only_other_forms_leave_the_study_off()
    {
        var hardOnly = RunResults.From([Student(Keys(", temperature: 1"), 1, 0), Student(Keys(", temperature: 2"), 1, 0)]);
        var otherForm = RunResults.From([Student(Keys(", temperature: 2"), 1, 0), Student(Keys(", temperature: 2"), 1, 0.1)]);

        Assert.False(new CompatibilityStudy().AppliesTo(hardOnly));
        Assert.False(new CompatibilityStudy().AppliesTo(otherForm));
    }

    [Fact]
    public void The_regime_names_what_fails_and_the_judgement_has_a_verdict_for_each_finding()
    {
        // Students at T = 1 only, no diffusion; the smoothed teacher's gamma (0.2) above the hard one's (0.1).
        var results = RunResults.From(new[] { 1, 2, 3 }.SelectMany(seed => new object[]
            { Student(Keys(", temperature: 1"), seed, 0, 0.80 + 0.001 * seed), Student(Keys(", temperature: 1"), seed, 0.1, 0.82) }));

        var judgement = new CompatibilityStudy().Judge(results);

        Assert.Equal(["C1", "C2", "C3"], judgement.Verdicts.Select(v => v.Finding.Id));
        Assert.Equal(Verdict.Agrees, judgement.Verdicts[0].Outcome);
        Assert.Equal(Verdict.NotTested, judgement.Verdicts[1].Outcome);
        Assert.Equal(RegimeStatus.Met, judgement.Regime.Single(p => p.Name == "smoother teachers").Status);
        Assert.Equal(RegimeStatus.NotMet, judgement.Regime.Single(p => p.Name == "temperatures").Status);
        Assert.Equal(RegimeStatus.Unknown, judgement.Regime.Single(p => p.Name == "diffusion measured").Status);
    }

    [Fact]
    public void Similar_pairs_that_spread_no_more_than_the_controls_in_the_baseline_fail_their_precondition()
    {
        var atOne = Keys(", temperature: 1");
        var similar = RunResults.From(new[] { 1, 2, 3 }.Select(seed => (object)Student(atOne, seed, 0, similar: 1.5 + 0.01 * seed, control: 1.0)));
        var alike = RunResults.From(new[] { 1, 2, 3 }.Select(seed => (object)Student(atOne, seed, 0, similar: 1.0 + 0.01 * (seed - 2), control: 1.0)));

        Assert.Equal(RegimeStatus.Met, Row(similar));
        Assert.Equal(RegimeStatus.NotMet, Row(alike));

        static RegimeStatus Row(RunResults results) =>
            CompatibilityRegime.Measure(CompatibilityStudy.Students(results), CompatibilityStudy.Alphas(results)).Single(p => p.Name == "similar pairs").Status;
    }
}
