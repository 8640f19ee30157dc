using System.Globalization;
using Distill.Learning.Training;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Reporting;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Kinds.Distill;

/// <summary>
/// The methods table of a run that distils with more than one method: each student setting's last-epoch test accuracy,
/// NLL and ECE (mean [95 % interval] over seeds), its accuracy minus that of the KD student of the same teacher
/// setting and architecture, paired by seed, and its time per epoch.
/// </summary>
internal static class MethodComparison
{
    public static bool AppliesTo(IReadOnlyList<StudentResult> students) => students.Select(s => s.Parameters.Loss.Name).Distinct().Count() > 1;

    public static void Write(ReportContext context, IReadOnlyList<StudentResult> students)
    {
        var groups = Replicates.Groups(students);
        var methods = DistillationLosses.Names.ToList();
        bool best = BestValidationColumn.Applies(students);
        bool published = context.Published.AnyOf(groups.Select(g => g[0].Group));
        var rows = groups.OrderBy(g => g[0].TeacherGroup, StringComparer.Ordinal).ThenBy(g => g[0].Model, StringComparer.Ordinal)
            .ThenBy(g => methods.IndexOf(g[0].Parameters.Loss.Name)).ThenBy(g => g[0].Parameters.LiveTeacher).ThenBy(g => g[0].Group, StringComparer.Ordinal)
            .Select(g =>
        {
            var first = g[0];
            var reference = Reference(groups, first);
            string paired = reference is null ? "no kd student" : ReferenceEquals(reference, g) ? "(reference)" : Replicates.Cell(Differences(g, reference), Points);
            var row = BestValidationColumn.Row([first.Group, first.Form, $"{first.TeacherGroup ?? "?"} -> {first.Model ?? "?"}", ParameterSourceName(first),
                Replicates.Cell(g.Select(s => s.TestAccuracy), P), paired, Replicates.Cell(g.Select(s => s.TestNll), F3), Replicates.Cell(g.Select(s => s.TestEce), F3),
                F2(g.Select(s => s.SecondsPerEpoch).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()), N(g.Count)], Headers, "Test accuracy", best, g);
            return context.Published.Row(row, first.Group, published);
        });
        context.Document.AddHeading("Methods", 3);
        context.Document.AddTable(context.Published.Headers(BestValidationColumn.Headers(Headers, "Test accuracy", best), published), rows,
            "Every student setting at its last epoch (no epoch is picked on the test split), mean [95 % interval] over n seeds; " +
            "\"vs kd\": its test accuracy minus that of the kd student of the same teacher and student model (from the cache where both exist), seed by seed, " +
            "in percentage points; s / epoch: median wall time of an epoch, evaluation included (mean over seeds)." +
            (best ? BestValidationColumn.Caption : "") + (published ? context.Published.Caption(groups.Select(g => g[0].Group)) : ""));
    }

    private static readonly IReadOnlyList<string> Headers =
        ["Student", "Method", "Teacher -> student", "Teacher from", "Test accuracy", "vs kd (paired)", "Test NLL", "Test ECE", "s / epoch", "n"];

    /// <summary>
    /// The KD students a setting is compared with: same teacher setting and student model, started from their own
    /// initialisation (not from another stage's weights), plain KD (forward KL on raw logits) before its variants,
    /// cached teacher first.
    /// </summary>
    private static IReadOnlyList<StudentResult>? Reference(IReadOnlyList<IReadOnlyList<StudentResult>> groups, StudentResult student) =>
        groups.Where(g => g[0].Parameters.Loss.Name == KdMethod.Name && g[0].TeacherGroup == student.TeacherGroup && g[0].Model == student.Model)
            .OrderBy(g => g[0].InitGroup is not null).ThenBy(g => !IsPlain(g[0].Parameters)).ThenBy(g => g[0].Parameters.LiveTeacher).FirstOrDefault();

    private static bool IsPlain(DistillParameters p) => p.Divergence == SoftTargetDivergence.ForwardKl && !p.LogitStandardization;

    private static IEnumerable<double> Differences(IReadOnlyList<StudentResult> group, IReadOnlyList<StudentResult> reference)
    {
        var bySeed = reference.ToDictionary(s => s.Replicate ?? 0, s => s.TestAccuracy);
        return group.Where(s => bySeed.ContainsKey(s.Replicate ?? 0)).Select(s => s.TestAccuracy - bySeed[s.Replicate ?? 0]);
    }

    private static string ParameterSourceName(StudentResult student) => student.Parameters.LiveTeacher ? "live" : "cache";

    private static string Points(double difference) => (100 * difference).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
}
