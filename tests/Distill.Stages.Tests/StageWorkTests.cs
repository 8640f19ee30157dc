using System.Text.Json;
using Distill.Pipelines;
using Distill.Stages.Engine;
using Distill.Stages.Kinds;

namespace Distill.Stages.Tests;

/// <summary>plan scales stored durations by the work a definition asks for: examples, epochs and the model's cost.</summary>
public sealed class StageWorkTests
{
    private static JsonElement Definition(string dataset, string model, string stage)
    {
        var result = PipelineLoader.LoadFromText($"name: t\ndatasets:\n  d: {dataset}\nmodels:\n  m: {model}\nstages:\n  s: {stage}\n", "t.yaml", StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var pipeline = result.Pipeline!;
        return JsonDocument.Parse(pipeline.Stage("s").CanonicalJson(pipeline)).RootElement.Clone();
    }

    private static double Work(string dataset, string model, string stage) =>
        new StageWork(StageKindRegistry.Catalogue).Of(Definition(dataset, model, stage)) ?? throw new InvalidOperationException("no work");

    private const string Small = "{ kind: fashion-mnist, validation: 1000, subset: { train: 2000, test: 2000 } }";
    private const string Resnet = "{ architecture: resnet, depth: 8, width: 8 }";

    [Fact]
    public void Work_grows_with_examples_epochs_and_the_models_cost()
    {
        double baseline = Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10 }");

        // An epoch: 3 passes per training example plus one per validation and test example.
        Assert.Equal((3 * 8000 + 3000) / (3.0 * 2000 + 3000), Work(Small.Replace("train: 2000", "train: 8000"), Resnet, "{ kind: train, dataset: d, model: m, epochs: 10 }") / baseline, 9);
        Assert.Equal(2.0, Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 20 }") / baseline, 9);
        // Twice the width: four times the 3x3 convolutions (the stem grows only twice).
        Assert.InRange(Work(Small, Resnet.Replace("width: 8", "width: 16"), "{ kind: train, dataset: d, model: m, epochs: 10 }") / baseline, 3.9, 4.0);
        Assert.True(Work(Small, "{ architecture: wrn, depth: 16, widen-factor: 2 }", "{ kind: train, dataset: d, model: m, epochs: 10 }") > 10 * baseline);
    }

    [Fact]
    public void Held_out_splits_cost_only_the_epochs_that_evaluate_them_and_the_probe_costs_every_epoch()
    {
        double baseline = Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10 }");

        // 10 epochs evaluated every 4: epochs 4, 8 and the last, 3 evaluations of 3,000 examples instead of 10.
        Assert.Equal((10 * 3 * 2000 + 3 * 3000) / (10 * (3.0 * 2000 + 3000)),
            Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10, evaluate-every: 4 }") / baseline, 9);
        // The probe: 2 classes x 100 examples x 5 augmentations, one pass each, every epoch.
        Assert.Equal((10 * (3 * 2000 + 2 * 100 * 5) + 10 * 3000) / (10 * (3.0 * 2000 + 3000)),
            Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10, mutual-information: { enabled: true, examples-per-class: 100 } }") / baseline, 9);
        Assert.Equal(1.0, Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10, mutual-information: { enabled: false } }") / baseline, 9);
    }

    [Fact]
    public void Keys_left_out_are_estimated_at_the_kinds_defaults()
    {
        // train and distill default to 5 epochs (TrainingParameters), so leaving `epochs` out is 5 epochs' work.
        double five = Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 5 }");
        Assert.Equal(five, Work(Small, Resnet, "{ kind: train, dataset: d, model: m }"));
        Assert.Equal(2.0, Work(Small, Resnet, "{ kind: train, dataset: d, model: m, epochs: 10 }") / five, 9);
        // The probe's defaults: 300 examples of each of 2 classes, 5 augmentations each.
        Assert.Equal((5 * (3 * 2000 + 2 * 300 * 5) + 5 * 3000) / (5 * (3.0 * 2000 + 3000)),
            Work(Small, Resnet, "{ kind: train, dataset: d, model: m, mutual-information: { enabled: true } }") / five, 9);
    }

    [Fact]
    public void A_live_teacher_adds_one_forward_pass_of_its_model_per_training_example()
    {
        var result = PipelineLoader.LoadFromText($$"""
            name: t
            datasets:
              d: {{Small}}
            models:
              student: {{Resnet}}
              teacher: { architecture: resnet, depth: 20, width: 16 }
            stages:
              teacher: { kind: train, dataset: d, model: teacher }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
              cached: { kind: distill, dataset: d, model: student, epochs: 10, inputs: { teacher: cache } }
              live: { kind: distill, dataset: d, model: student, epochs: 10, teacher-source: live, inputs: { teacher: teacher } }
            """, "t.yaml", StageKindRegistry.Catalogue);
        var pipeline = result.Pipeline!;
        var keys = new Dictionary<string, string> { ["teacher"] = "teacher-key", ["cache"] = "cache-key" };
        JsonElement Of(string id) => JsonDocument.Parse(pipeline.Stage(id).CanonicalJson(pipeline, keys)).RootElement.Clone();
        var definitions = new Dictionary<string, JsonElement> { ["teacher-key"] = Of("teacher") };
        var work = new StageWork(StageKindRegistry.Catalogue, key => definitions.TryGetValue(key, out var d) ? d : null);
        var teacherMacs = new Models.ResNetArchitecture().ForwardMacs(pipeline.Models["teacher"].Parameters, 1, 28, 28);

        Assert.Equal(1.0, (work.Of(Of("live"))!.Value - work.Of(Of("cached"))!.Value) / (10 * 2000 * teacherMacs), 9);
        // Without the teacher's definition the live stage counts as the cached one.
        Assert.Equal(new StageWork(StageKindRegistry.Catalogue).Of(Of("cached")), new StageWork(StageKindRegistry.Catalogue).Of(Of("live")));
    }

    [Fact]
    public void A_stored_duration_scales_by_the_ratio_of_work_or_else_of_epochs()
    {
        var settings = new SortedDictionary<string, string> { ["parameters.epochs"] = "20" };
        var stored = new SortedDictionary<string, string> { ["parameters.epochs"] = "10" };

        Assert.Equal(3.5, DurationEstimator.Scale(7e9, settings, 2e9, stored));
        Assert.Equal(2.0, DurationEstimator.Scale(null, settings, 2e9, stored)); // work unknown: epochs
        Assert.Equal(1.0, DurationEstimator.Scale(null, [], null, []));
    }

    [Fact]
    public void Kinds_without_a_model_have_no_work_to_scale()
    {
        var result = PipelineLoader.LoadFromText($"name: t\ndatasets:\n  d: {Small}\nmodels:\n  m: {Resnet}\nstages:\n  s: {{ kind: train, dataset: d, model: m }}\n  r: {{ kind: report }}\n", "t.yaml", StageKindRegistry.Catalogue);
        var pipeline = result.Pipeline!;
        var report = JsonDocument.Parse(pipeline.Stage("r").CanonicalJson(pipeline)).RootElement;

        Assert.Null(new StageWork(StageKindRegistry.Catalogue).Of(report));
    }
}
