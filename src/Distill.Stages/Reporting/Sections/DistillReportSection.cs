using Distill.Analysis.Plotting;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Paper;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Reporting.Sections;

/// <summary>Distill stages: the students' table, accuracy against temperature and against the teacher's smoothness (paper Fig. 5), curves.</summary>
public sealed class DistillReportSection : IStageReportSection
{
    public StageKindSpec Spec => StageKinds.DistillSpec;

    public string Heading => "Distillation";

    public void Write(ReportContext context)
    {
        var students = context.Results.Students;
        context.Document.AddTable(["Student", "Teacher", "Teacher alpha", "T", "Teacher gamma", "Test accuracy", "Loss"],
            students.Select(s => (IReadOnlyList<string>)[s.Id, s.Teacher ?? "?", F(s.TeacherAlpha), F(s.Temperature), F3(s.TeacherGamma), P(s.TestAccuracy), s.Form]),
            "Students trained on the teacher's temperature-softened outputs; gamma is the teacher's smoothness index at T. " +
            $"Loss forms: {string.Join("; ", students.Select(s => s.Form).Distinct())} (the paper: kd, beta 1, student at T = 1)");

        var sentence = context.Sentence(3, "needs a hard and a smoothed teacher");
        var vsTemperature = students.GroupBy(s => s.TeacherAlpha).OrderBy(g => g.Key)
            .Select(g => ReportContext.Series($"teacher alpha = {F(g.Key)}", g.Select(s => (s.Temperature, s.TestAccuracy))))
            .OfType<LineSeries>().ToList();
        if (vsTemperature.Count > 0)
            context.AddChart("student-accuracy-vs-temperature", "Student accuracy vs teacher temperature", "Teacher temperature T", "Student test accuracy",
                vsTemperature, null, "Student test accuracy against the temperature of the teacher's targets, one line per teacher smoothing alpha.", sentence);

        var vsGamma = new[]
        {
            ReportContext.Series("hard-target teacher (alpha = 0), T varied", students.Where(s => s.TeacherAlpha == 0).Select(s => (s.TeacherGamma, s.TestAccuracy))),
            ReportContext.Series("label-smoothed teachers (alpha > 0) at T = 1", PaperFindings.SmoothedAtTemperatureOne(context.Results).Select(s => (s.TeacherGamma, s.TestAccuracy))),
        }.OfType<LineSeries>().ToList();
        if (vsGamma.Count > 0)
            context.AddChart("student-accuracy-vs-gamma", "Student accuracy vs teacher smoothness", "Teacher smoothness index gamma", "Student test accuracy",
                vsGamma, null, "Student test accuracy against the teacher's smoothness index gamma (paper Fig. 5): at equal gamma, the paper finds the smoothed teacher's student worse.", sentence);

        var curves = students.Select(s => ReportContext.Series($"{s.Id} (alpha {F(s.TeacherAlpha)}, T {F(s.Temperature)})", s.TestAccuracyCurve.Points))
            .OfType<LineSeries>().ToList();
        if (curves.Count == 0) return;
        context.Document.AddHeading("Training curves", 3);
        context.AddChart("student-curves", "Students: test accuracy per epoch", "Epoch", "Test accuracy", curves, null,
            "Test accuracy of every student at the end of each epoch.", sentence);
    }
}
