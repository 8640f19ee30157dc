using Distill.Pipelines.Catalogue;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Kinds.Report;
using Distill.Stages.Reporting;

namespace Distill.Stages.Tests;

/// <summary>Each catalogue kind has one executor, which declares the catalogue entry itself and receives typed parameters.</summary>
public sealed class StageCatalogueTests
{
    [Fact]
    public void Every_catalogue_kind_has_exactly_one_executor()
    {
        var declared = StageKindRegistry.Executors().Select(e => e.Spec.Name).ToList();

        Assert.Equal(declared.Distinct().Count(), declared.Count);
        Assert.Equal(StageKindRegistry.Catalogue.All.Select(k => k.Name).Order(), declared.Order());
    }

    [Fact]
    public void Executors_receive_typed_parameters()
    {
        // Each executor is a StageExecutor<TParameters>: it never looks a parameter up by name.
        Assert.All(StageKindRegistry.Executors(), executor =>
            Assert.True(executor.GetType().BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(StageExecutor<>),
                executor.GetType().Name));
    }

    [Fact]
    public void Executors_declare_the_catalogue_entry_itself()
    {
        foreach (var executor in StageKindRegistry.Executors())
            Assert.Same(StageKindRegistry.Catalogue.All.Single(k => k.Name == executor.Spec.Name), executor.Spec);
    }

    [Fact]
    public void Every_catalogue_loss_has_one_implementation()
    {
        var catalogue = DistillKind.Definition.Parameters.Single(p => p.Name == "loss").Variants.Select(v => v.Name);
        Assert.Equal(catalogue.Order(), DistillationLosses.Names.Order());
    }
}

/// <summary>A stage kind shows up in reports through one <see cref="IStageReportSection"/>; the builder knows no kind.</summary>
public sealed class ReportSectionTests
{
    [Fact]
    public void Every_section_shows_a_catalogue_kind_and_no_kind_has_two()
    {
        var kinds = StageKindRegistry.ReportSections().Select(s => s.Spec.Name).ToList();
        Assert.Equal(kinds.Distinct().Count(), kinds.Count);
        Assert.All(StageKindRegistry.ReportSections(), s => Assert.Same(StageKindRegistry.Catalogue.All.Single(k => k.Name == s.Spec.Name), s.Spec));
        // Every kind with results of its own has a section; cache-logits and import-logits (inputs for others) and report (the reader) have none.
        Assert.Equal(StageKindRegistry.Catalogue.All.Select(k => k.Name).Except([CacheLogitsKind.Name, ImportLogitsKind.Name, ReportKind.Name]).Order(), kinds.Order());
    }

    [Fact]
    public void A_section_is_written_only_for_a_kind_the_report_reads()
    {
        var pipeline = PipelineRunner.Load(Path.Combine(AppContext.BaseDirectory, "Pipelines", "cache.yaml"));
        var sections = new IStageReportSection[] { new CountingSection(CacheLogitsKind.Definition) };

        var none = new RunReportBuilder(pipeline, [], sections).Build("t", null).Document.RenderMarkdown();
        var cache = pipeline.Stage("cache");
        using var temp = new TempFolder();
        var read = new StageInputRef(cache, Runs.RunDirectory.Open(temp.Path, pipeline.Name).Store.Entry(new string('a', 64)),
            Runs.StageManifest.Pending(cache.Id, cache.Kind, new string('a', 64), [], pipeline.Name));
        var some = new RunReportBuilder(pipeline, [read], sections).Build("t", null).Document.RenderMarkdown();

        Assert.DoesNotContain("## Cached logits", none);
        Assert.Contains("## Cached logits", some);
        Assert.Contains("written", some);
        Assert.DoesNotContain("## Teachers", some); // only the sections given are written
        Assert.Contains("(1 cache-logits)", some);
    }

    private sealed class CountingSection(StageKindSpec spec) : IStageReportSection
    {
        public StageKindSpec Spec => spec;
        public string Heading => "Cached logits";
        public void Write(ReportContext context) => context.Document.AddParagraph("written");
    }
}
