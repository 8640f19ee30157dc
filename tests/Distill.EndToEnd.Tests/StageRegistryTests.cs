using Distill.Cli.Commands;
using Distill.EndToEnd.Tests.Support;
using Distill.Pipelines.Catalogue;

namespace Distill.EndToEnd.Tests;

/// <summary>Adding a stage kind means a catalogue spec and one executor that declares it: nothing else to wire.</summary>
public sealed class StageRegistryTests
{
    [Fact]
    public void Every_catalogue_kind_has_exactly_one_executor()
    {
        var declared = StageRegistry.Executors().Select(e => e.Spec.Name).ToList();

        Assert.Equal(declared.Distinct().Count(), declared.Count);
        Assert.Equal(StageKinds.All.Select(k => k.Name).Order(), declared.Order());
    }

    [Fact]
    public void Executors_receive_typed_parameters()
    {
        // Each executor is a StageExecutor<TParameters>: it never looks a parameter up by name.
        Assert.All(StageRegistry.Executors(), executor =>
            Assert.True(executor.GetType().BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(Distill.Stages.Engine.StageExecutor<>),
                executor.GetType().Name));
    }

    [Fact]
    public void Executors_declare_the_catalogue_entry_itself()
    {
        foreach (var executor in StageRegistry.Executors())
            Assert.Same(StageKinds.All.Single(k => k.Name == executor.Spec.Name), executor.Spec);
    }
}

/// <summary>A student distilled with decoupled KD, chosen by the `loss` key, beside a plain KD student.</summary>
public sealed class DistillationLossPipelineTests : IDisposable
{
    private readonly Support.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_catalogue_loss_has_one_implementation()
    {
        var catalogue = StageKinds.DistillSpec.Parameters.Single(p => p.Name == "loss").Variants.Select(v => v.Name);
        Assert.Equal(catalogue.Order(), Distill.Stages.Distillation.DistillationLosses.Names.Order());
    }

    [Fact]
    public void A_dkd_student_trains_beside_a_kd_student()
    {
        var pipeline = _temp.Combine("losses.yaml");
        File.WriteAllText(pipeline, File.ReadAllText(Support.DistillCli.TestPipeline("cache.yaml")) + """

              student-dkd:
                kind: distill
                dataset: fmnist
                model: tiny-resnet
                epochs: 1
                batch-size: 16
                lr: 0.05
                temperature: 4
                loss: { name: dkd, beta: 4 }
                inputs: { teacher: cache }
            """);
        var runs = _temp.Combine("runs");

        var (code, output) = Support.DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", runs);

        Assert.True(code == 0, output);
        var kd = Support.RunResults.Manifest(Path.Combine(runs, "cache"), "student");
        var dkd = Support.RunResults.Manifest(Path.Combine(runs, "cache"), "student-dkd");
        Assert.Equal(Distill.Runs.StageStatus.Completed, dkd.Status);
        Assert.NotEqual(kd.Key, dkd.Key);
        Assert.InRange(dkd.Metrics["test_accuracy"], 0, 1);
        Assert.True(double.IsFinite(dkd.Metrics["train_loss"]));
    }
}

/// <summary>A stage kind shows up in reports through one <see cref="Distill.Stages.Reporting.IStageReportSection"/>; the builder knows no kind.</summary>
public sealed class ReportSectionTests
{
    [Fact]
    public void Every_section_shows_a_catalogue_kind_and_no_kind_has_two()
    {
        var kinds = Distill.Stages.Reporting.StageReportSections.Default.Select(s => s.Spec.Name).ToList();
        Assert.Equal(kinds.Distinct().Count(), kinds.Count);
        Assert.All(Distill.Stages.Reporting.StageReportSections.Default, s => Assert.Same(StageKinds.All.Single(k => k.Name == s.Spec.Name), s.Spec));
        // Every kind with results of its own has a section; cache-logits and import-logits (inputs for others) and report (the reader) have none.
        Assert.Equal(StageKinds.All.Select(k => k.Name).Except([StageKinds.CacheLogits, StageKinds.ImportLogits, StageKinds.Report]).Order(), kinds.Order());
    }

    [Fact]
    public void A_section_added_for_a_kind_is_written_under_its_heading_or_skipped_with_a_note()
    {
        var pipeline = Distill.Stages.Engine.PipelineRunner.Load(Support.DistillCli.TestPipeline("cache.yaml"));
        var sections = new Distill.Stages.Reporting.IStageReportSection[] { new CountingSection(StageKinds.CacheLogitsSpec) };

        var report = new Distill.Stages.Reporting.RunReportBuilder(pipeline, [], sections).Build("t", null);

        var markdown = report.Document.RenderMarkdown();
        Assert.Contains("## Cached logits", markdown);
        Assert.Contains("No cache-logits stages among this report's inputs; section skipped.", markdown);
        Assert.DoesNotContain("## Teachers", markdown); // only the sections given are written
    }

    private sealed class CountingSection(StageKindSpec spec) : Distill.Stages.Reporting.IStageReportSection
    {
        public StageKindSpec Spec => spec;
        public string Heading => "Cached logits";
        public void Write(Distill.Stages.Reporting.ReportContext context) => context.Document.AddParagraph("written");
    }
}

/// <summary>A student studied like a teacher: its logits cached, its calibration measured, its clusters projected.</summary>
public sealed class StudentSubjectPipelineTests : IDisposable
{
    private readonly Support.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_students_logits_calibration_and_clusters_are_measured_from_its_own_weights()
    {
        var pipeline = _temp.Combine("subjects.yaml");
        File.WriteAllText(pipeline, File.ReadAllText(Support.DistillCli.TestPipeline("cache.yaml"))
            .Replace("splits: [train, test]", "splits: [train, validation, test]") + """

              student-cache:
                kind: cache-logits
                inputs: { teacher: student }
              student-calibration:
                kind: calibrate
                inputs: { logits: student-cache }
              student-projection:
                kind: project
                classes: [T-shirt/top, Trouser, Pullover]
                examples-per-class: 4
                inputs: { models: [teacher, student] }
              report:
                kind: report
                inputs: { all: "*" }
            """);
        var runs = _temp.Combine("runs");

        var (code, output) = Support.DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", runs);

        Assert.True(code == 0, output);
        var run = Path.Combine(runs, "cache");
        var sidecar = Distill.Runs.LogitCacheSidecar.Load(RunResults.Output(run, "student-cache", "logits-test.npy.json"))!;
        Assert.Equal(Support.RunResults.Manifest(run, "student").Key, sidecar.TeacherStageKey); // the student's model, not its teacher's
        Assert.InRange(Support.RunResults.Manifest(run, "student-calibration").Metrics["ece"], 0, 1);
        Assert.Contains("tightness_student", string.Join(",", Support.RunResults.Manifest(run, "student-projection").Metrics.Keys));
        var markdown = File.ReadAllText(RunResults.Output(run, "report", "report.md"));
        Assert.Contains("student student (teacher alpha = 0)", markdown); // the reliability diagram names the student
    }
}
