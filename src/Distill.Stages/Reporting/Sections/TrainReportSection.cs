using Distill.Analysis.Plotting;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Paper;
using static Distill.Stages.Reporting.ReportFormat;

namespace Distill.Stages.Reporting.Sections;

/// <summary>Train stages: the teachers' table, their mutual information per epoch (paper Fig. 6) and their test-accuracy curves.</summary>
public sealed class TrainReportSection : IStageReportSection
{
    public StageKindSpec Spec => StageKinds.TrainSpec;

    public string Heading => "Teachers";

    public void Write(ReportContext context)
    {
        var teachers = context.Results.Teachers;
        context.Document.AddTable(["Stage", "alpha", "Validation accuracy", "Test accuracy", "Test NLL", "Epochs"],
            teachers.Select(t => (IReadOnlyList<string>)[t.Id, F(t.Alpha), P(t.ValidationAccuracy), P(t.TestAccuracy), F3(t.TestNll), N(t.Epochs)]),
            "Models trained with cross-entropy against label-smoothed targets (alpha = 0: hard targets); final epoch");
        MutualInformation(context);
        Curves(context);
    }

    private static void MutualInformation(ReportContext context)
    {
        context.Document.AddHeading("Mutual information", 3);
        var measured = PaperFindings.Probed(context.Results);
        if (measured.Count == 0)
        {
            context.Document.AddParagraph("No teacher recorded the mutual-information probe (train stage option mutual-information.enabled); figure skipped.");
            return;
        }
        var series = measured.Select(t => ReportContext.Series($"{t.Id} (alpha = {F(t.Alpha)})", t.MutualInformation.Points)).OfType<LineSeries>().ToList();
        double logN = PaperFindings.LogN(measured);
        var references = new List<ReferenceLine>();
        if (double.IsFinite(logN)) references.Add(new ReferenceLine($"log N = {F3(logN)}", logN));
        references.Add(new ReferenceLine($"log 2 = {F3(Math.Log(2))}", Math.Log(2)));
        context.AddChart("mutual-information", "Mutual information between input and logit difference", "Epoch", "I(X; Y) estimate (nats)",
            series, references, "Estimated mutual information between the example index and the difference of two classes' logits, per epoch (paper Fig. 6).",
            context.Sentence(4, "needs the probe on a hard and a smoothed teacher"));
    }

    private static void Curves(ReportContext context)
    {
        var series = context.Results.Teachers.Select(t => ReportContext.Series($"{t.Id} (alpha = {F(t.Alpha)})", t.TestAccuracyCurve.Points))
            .OfType<LineSeries>().ToList();
        if (series.Count == 0) return;
        context.Document.AddHeading("Training curves", 3);
        context.AddChart("teacher-curves", "Teachers: test accuracy per epoch", "Epoch", "Test accuracy", series, null,
            "Test accuracy of every teacher at the end of each epoch.", context.Sentence(3, "needs a hard and a smoothed teacher"));
    }
}
