using Distill.Stages.Reporting;
using Distill.Analysis.Plotting;
using Distill.Pipelines.Catalogue;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Kinds.Distill;

/// <summary>
/// Distill stages: the students' table (mean and 95 % interval over seeds), the methods compared when several are,
/// accuracy against temperature, and the training curves.
/// </summary>
public sealed class DistillReportSection : IStageReportSection
{
    public StageKindSpec Spec => DistillKind.Definition;

    public string Heading => "Distillation";

    public void Write(ReportContext context)
    {
        var students = context.Results.Of<StudentResult>();
        var groups = Replicates.Groups(students);
        bool best = BestValidationColumn.Applies(students);
        IReadOnlyList<string> headers = ["Student", "Teacher alpha", "T", "Teacher gamma", "Test accuracy", "n", "Test accuracy per seed", "Loss"];
        context.Document.AddTable(BestValidationColumn.Headers(headers, "Test accuracy", best),
            groups.Select(g => BestValidationColumn.Row([g[0].Group, F(g[0].TeacherAlpha), F(g[0].Temperature), Replicates.Cell(g.Select(s => s.TeacherGamma), F3),
                Replicates.Cell(g.Select(s => s.TestAccuracy), P), N(g.Count), Replicates.PerSeed(g, s => s.TestAccuracy, P), g[0].Form], headers, "Test accuracy", best, g)),
            "Students trained on the teacher's temperature-softened outputs; gamma is the teacher's smoothness index at T; mean [95 % interval] over n seeds. " +
            $"Loss forms: {string.Join("; ", students.Select(s => s.Form).Distinct())}" +
            (best ? "." + BestValidationColumn.Caption : ""));

        if (MethodComparison.AppliesTo(students)) MethodComparison.Write(context, students);

        var vsTemperature = students.GroupBy(s => s.TeacherAlpha).OrderBy(g => g.Key)
            .Select(g => Replicates.Band($"teacher alpha = {F(g.Key)}", g.Select(s => (s.Temperature, s.TestAccuracy)), Replicates.AccuracyRange))
            .OfType<LineSeries>().ToList();
        if (vsTemperature.Count > 0)
            context.AddChart("student-accuracy-vs-temperature", "Student accuracy vs teacher temperature", "Teacher temperature T", "Student test accuracy",
                vsTemperature, null, "Student test accuracy against the temperature of the teacher's targets, one line per teacher smoothing alpha; bands: 95 % interval over seeds.");

        var curves = Replicates.Groups(students)
            .Select(g => Replicates.Band(Replicates.Label(g[0].Group, ("teacher alpha", g[0].TeacherAlpha), ("temperature", g[0].Temperature)), g.SelectMany(s => s.TestAccuracyCurve.Points), Replicates.AccuracyRange))
            .OfType<LineSeries>().ToList();
        if (curves.Count == 0) return;
        context.Document.AddHeading("Training curves", 3);
        context.AddChart("student-curves", "Students: test accuracy per epoch", "Epoch", "Test accuracy", curves, null,
            "Test accuracy of every student at the end of each epoch; bands: 95 % interval over seeds.");
    }
}
