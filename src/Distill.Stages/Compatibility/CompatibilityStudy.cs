using Distill.Analysis.Plotting;
using Distill.Analysis.Reporting;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ModelRoles;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Compatibility;

/// <summary>
/// The second study: is a label-smoothed teacher compatible with distillation? Shen et al. (ICLR 2021) say yes at T = 1;
/// Chandrasegaran et al. (ICML 2022) say its advantage shrinks as T rises, because its student's penultimate
/// representations diffuse toward similar classes. On wherever the report reads students of a hard-target and of a
/// smoothed teacher at the same temperatures under Chandrasegaran et al.'s KD form (which at T = 1 is Müller et
/// al.'s), paired by seed. Its exhibits, in the distillation section: Delta_T per alpha and T, Delta_T against T, and
/// the students' diffusion.
/// </summary>
public sealed class CompatibilityStudy : IReportStudy
{
    public static readonly StudyFinding TemperatureOne = new("C1", "a label-smoothed teacher's student at T = 1 is as good or better (Shen et al.)");
    public static readonly StudyFinding Shrinking = new("C2", "the smoothed teacher's advantage shrinks from T = 1 to the largest T (Chandrasegaran et al.)");
    public static readonly StudyFinding Diffusion = new("C3", "at higher T, the smoothed teacher's student diffuses toward similar classes, not dissimilar ones (Chandrasegaran et al.'s mechanism)");

    public const string DeltaTable = "compatibility-deltas";
    public const string DeltaFigure = "compatibility-delta-vs-temperature";
    public const string DiffusionTable = "compatibility-diffusion";

    private const string Rules = "Verdicts by fixed rules: students of the hard-target and of each smoothed teacher paired by seed at each T, " +
        "under one KD form (T^2 KL(p_t(T) || p_s(T)), beta 1); differences judged by their 95 % t-interval over at least 3 seeds, " +
        "\"most alphas\" meaning more than half (the project's method notes, \"A second study: compatibility\")";

    private const string RegimeCaption = "Whether this run is in the state where the compatibility papers' effects can show; the \"Paper\" column gives " +
        "Chandrasegaran et al.'s setting (ImageNet ResNet-50 -> ResNet-18). The verdict rules are unchanged when a precondition is not met.";

    public string Title => "Is label smoothing compatible with distillation?";

    public string Reference => "Shen et al., \"Is Label Smoothing Truly Incompatible with Knowledge Distillation?\" (ICLR 2021); " +
        "Chandrasegaran et al., \"Revisiting Label Smoothing and Knowledge Distillation Compatibility: What was Missing?\" (ICML 2022)";

    public IReadOnlyList<StudyFinding> Findings { get; } = [TemperatureOne, Shrinking, Diffusion];

    /// <summary>Students under Chandrasegaran et al.'s form (Müller et al.'s at T = 1 is the same loss).</summary>
    public static IReadOnlyList<StudentResult> Students(RunResults results) =>
        results.Of<StudentResult>().Where(s => s.PublishedForm is KdForm.Chandrasegaran or KdForm.Both && double.IsFinite(s.TeacherAlpha)).ToList();

    public bool AppliesTo(RunResults results) => Alphas(results).Any(a => a.Seeds.Count > 0);

    public StudyJudgement Judge(RunResults results)
    {
        var alphas = Alphas(results);
        return new(CompatibilityRegime.Measure(Students(results), alphas),
            [CompatibilityRules.AtTemperatureOne(alphas), CompatibilityRules.Shrinking(alphas), CompatibilityRules.Diffusion(alphas)]);
    }

    public void WriteSummary(ReportDocument document, StudyJudgement judgement) =>
        StudySummary.Write(document, Findings, judgement, RegimeCaption, Rules);

    public void WriteExhibits(string kind, ReportContext context)
    {
        if (kind != DistillKind.Name) return;
        var alphas = Alphas(context.Results);
        if (alphas.Count == 0) return;
        context.Document.AddHeading("Compatibility: smoothed against hard-target teachers' students", 3);
        var temperatures = alphas.SelectMany(a => a.Seeds.SelectMany(s => s.ByTemperature.Keys)).Distinct().Order().ToList();
        context.Document.AddTable(["Teacher alpha", .. temperatures.Select(t => $"Delta at T = {F(t)}")],
            alphas.Select(a => (IReadOnlyList<string>)[F(a.Alpha), .. temperatures.Select(t => Cell(a.Seeds.Where(s => s.ByTemperature.ContainsKey(t)).Select(s => s.ByTemperature[t].Delta)))]),
            "Delta_T: test accuracy of the smoothed teacher's student minus the hard-target teacher's student at the same T and seed, in points " +
            "(mean [95 % interval], n seeds); Chandrasegaran et al.'s KD form, T^2 KL(p_t(T) || p_s(T)) without cross-entropy", DeltaTable);

        var lines = alphas.Select(a => Replicates.Band($"teacher alpha = {F(a.Alpha)}", a.Seeds.SelectMany(s => s.ByTemperature.Select(kv => (kv.Key, kv.Value.Delta)))))
            .OfType<LineSeries>().ToList();
        if (temperatures.Count >= 2)
            context.AddChart(DeltaFigure, "Smoothed minus hard-target teacher's student", "Temperature T (teacher and student)", "Delta test accuracy",
                lines, [new ReferenceLine("no difference", 0)], "Delta_T against T, one line per smoothed alpha; bands: 95 % interval over seeds. " +
                "Shen et al. find Delta_1 at or above 0; Chandrasegaran et al. find Delta_T falling below 0 as T rises.", fitToData: true);

        var diffused = Students(context.Results).Where(s => double.IsFinite(s.DiffusionSimilar)).ToList();
        if (diffused.Count == 0) return;
        context.Document.AddTable(["Teacher alpha", "T", "H (similar pairs)", "H_ctl (dissimilar pairs)", "n"],
            diffused.GroupBy(s => (s.TeacherAlpha, s.Temperature)).OrderBy(g => g.Key.TeacherAlpha).ThenBy(g => g.Key.Temperature)
                .Select(g => (IReadOnlyList<string>)[F(g.Key.TeacherAlpha), F(g.Key.Temperature), Replicates.Cell(g.Select(s => s.DiffusionSimilar), F3),
                    Replicates.Cell(g.Select(s => s.DiffusionDissimilar), F3), N(g.Count())]),
            "The students' diffusion on the test split: for a declared class pair, eta = (u' S_a u) / (trace(S_a) / d) both ways (1 = isotropic, above 1 = " +
            "spread toward the other class), H its mean over the similar pairs, H_ctl over the dissimilar ones; mean [95 % interval] over seeds. " +
            "This metric is this project's reading of Chandrasegaran et al.'s \"systematic diffusion\", not their own formula.", DiffusionTable);
    }

    public string? Exhibit(StudyFinding finding, RunResults results) => finding.Id switch
    {
        "C1" => DeltaTable,
        "C2" => DeltaFigure,
        "C3" => DiffusionTable,
        _ => null,
    };

    /// <summary>Each smoothed alpha's seeds, each with the student pairs (same student model, T and seed) of its temperatures.</summary>
    public static IReadOnlyList<CompatibilityAlpha> Alphas(RunResults results)
    {
        var students = Students(results);
        var hard = students.Where(s => s.TeacherAlpha == 0).GroupBy(s => (Seed: SeedOf(s.Replicate), s.Temperature, s.Model)).ToDictionary(g => g.Key, g => g.First());
        return students.Where(s => s.TeacherAlpha > 0).GroupBy(s => s.TeacherAlpha).OrderBy(g => g.Key)
            .Select(g => new CompatibilityAlpha(g.Key, g.GroupBy(s => SeedOf(s.Replicate)).OrderBy(s => s.Key)
                .Select(seed => new CompatibilitySeed(seed.Key, seed
                    .Where(s => hard.ContainsKey((seed.Key, s.Temperature, s.Model))).DistinctBy(s => s.Temperature)
                    .ToDictionary(s => s.Temperature, s => Pair(hard[(seed.Key, s.Temperature, s.Model)], s))))
                .Where(s => s.ByTemperature.Count > 0).ToList()))
            .Where(a => a.Seeds.Count > 0).ToList();
    }

    private static StudentPair Pair(StudentResult hard, StudentResult smooth) =>
        new(hard.TestAccuracy, smooth.TestAccuracy, hard.DiffusionSimilar, smooth.DiffusionSimilar, hard.DiffusionDissimilar, smooth.DiffusionDissimilar);

    /// <summary>A difference in points, mean [95 % interval], with its n (seeds differ by temperature).</summary>
    private static string Cell(IEnumerable<double> fractions)
    {
        var points = fractions.Where(double.IsFinite).Select(f => 100 * f).ToList();
        return points.Count == 0 ? "n/a" : $"{Replicates.Cell(points, F2)} (n = {points.Count})";
    }
}
