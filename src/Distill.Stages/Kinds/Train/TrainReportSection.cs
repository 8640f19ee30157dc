using Distill.Stages.Reporting;
using Distill.Analysis.Plotting;
using Distill.Pipelines.Catalogue;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Kinds.Train;

/// <summary>
/// Train stages: the teachers' table (mean and 95 % interval over seeds), their mutual information per epoch
/// (paper Fig. 6) and their test-accuracy curves, each with a band over seeds; students trained alone get a table
/// and curves of their own.
/// </summary>
public sealed class TrainReportSection : IStageReportSection
{
    public StageKindSpec Spec => TrainKind.Definition;

    public string Heading => "Teachers";

    /// <summary>The teachers' mutual information per epoch (paper Fig. 6).</summary>
    public const string MutualInformationFigure = "mutual-information";

    public void Write(ReportContext context)
    {
        var teachers = ModelRoles.Teachers(context.Results);
        var alone = ModelRoles.StudentsTrainedAlone(context.Results);
        if (teachers.Count > 0)
            Table(context, teachers, "Models trained with cross-entropy against label-smoothed targets (alpha = 0: hard targets); final epoch; mean [95 % interval] over n seeds");
        MutualInformation(context);
        Curves(context, teachers, "Training curves", "teacher-curves", "Teachers: test accuracy per epoch",
            "Test accuracy of every teacher at the end of each epoch; bands: 95 % interval over seeds, clipped to 0-1.");
        if (alone.Count == 0) return;
        context.Document.AddHeading("Students trained alone", 3);
        Table(context, alone, "Train stages of a student's architecture that teach no one: the baseline a distilled student is compared with (paper Fig. 5); final epoch; mean [95 % interval] over n seeds");
        Curves(context, alone, null, "students-alone-curves", "Students trained alone: test accuracy per epoch",
            "Test accuracy of the students trained without a teacher at the end of each epoch; bands: 95 % interval over seeds, clipped to 0-1.");
    }

    private static void Table(ReportContext context, IReadOnlyList<TeacherResult> models, string caption)
    {
        var groups = Replicates.Groups(models);
        bool best = BestValidationColumn.Applies(models);
        IReadOnlyList<string> headers = ["Model", "alpha", "Validation accuracy", "Test accuracy", "Test NLL", "Epochs", "n", "Test accuracy per seed"];
        var settings = groups.Select(g => g[0].Group).ToList();
        bool published = context.Published.AnyOf(settings);
        context.Document.AddTable(context.Published.Headers(BestValidationColumn.Headers(headers, "Test accuracy", best), published),
            groups.Select(g => context.Published.Row(BestValidationColumn.Row([g[0].Group, F(g[0].Alpha), Replicates.Cell(g.Select(t => t.ValidationAccuracy), P),
                Replicates.Cell(g.Select(t => t.TestAccuracy), P), Replicates.Cell(g.Select(t => t.TestNll), F3), N(g[0].Epochs), N(g.Count),
                Replicates.PerSeed(g, t => t.TestAccuracy, P)], headers, "Test accuracy", best, g), g[0].Group, published)),
            caption + (best ? BestValidationColumn.Caption : "") + (published ? context.Published.Caption(settings) : ""));
    }

    private static void MutualInformation(ReportContext context)
    {
        context.Document.AddHeading("Mutual information", 3);
        var measured = ModelRoles.Probed(context.Results);
        if (measured.Count == 0)
        {
            context.Document.AddParagraph("No teacher recorded the mutual-information probe (train stage option mutual-information.enabled); figure skipped.");
            return;
        }
        var series = Replicates.Groups(measured)
            .Select(g => Replicates.Band(Replicates.Label(g[0].Group, ("alpha", g[0].Alpha)), g.SelectMany(t => t.MutualInformation.Points)))
            .OfType<LineSeries>().ToList();
        double logN = ModelRoles.LogN(measured);
        var references = new List<ReferenceLine>();
        if (double.IsFinite(logN)) references.Add(new ReferenceLine($"log N = {F3(logN)}", logN));
        references.Add(new ReferenceLine($"log 2 = {F3(Math.Log(2))}", Math.Log(2)));
        context.AddChart(MutualInformationFigure, "Mutual information between input and logit difference", "Epoch", "I(X; Y) estimate (nats)",
            series, references, "Estimated mutual information between the example index and the difference of two classes' logits, per epoch (paper Fig. 6); bands: 95 % interval over seeds.",
            fitToData: true);
    }

    private static void Curves(ReportContext context, IReadOnlyList<TeacherResult> models, string? heading, string name, string title, string caption)
    {
        var series = Replicates.Groups(models)
            .Select(g => Replicates.Band(Replicates.Label(g[0].Group, ("alpha", g[0].Alpha)), g.SelectMany(t => t.TestAccuracyCurve.Points), Replicates.AccuracyRange))
            .OfType<LineSeries>().ToList();
        if (series.Count == 0) return;
        if (heading is not null) context.Document.AddHeading(heading, 3);
        context.AddChart(name, title, "Epoch", "Test accuracy", series, null, caption);
    }
}
