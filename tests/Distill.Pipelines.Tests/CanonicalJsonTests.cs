namespace Distill.Pipelines.Tests;

public class CanonicalJsonTests
{
    private static string Json(string stages, string datasets = "fm: { kind: fashion-mnist, validation: 1000 }")
    {
        var p = TestPipelines.Load($"""
            name: t
            seed: 3
            datasets:
              {datasets}
            models:
              net: {"{"} architecture: resnet, depth: 20 {"}"}
            stages:
            {stages}
            """);
        return p.Stage("teacher").CanonicalJson(p);
    }

    private const string Plain = """
          teacher:
            kind: train
            dataset: fm
            model: net
            alpha: 0.1
            epochs: 10
        """;

    [Fact]
    public void Key_order_does_not_change_the_json()
    {
        var reordered = """
              teacher:
                epochs: 10
                alpha: 0.1
                model: net
                dataset: fm
                kind: train
            """;

        Assert.Equal(Json(Plain), Json(reordered));
    }

    [Fact]
    public void Writing_defaults_explicitly_does_not_change_the_json()
    {
        var explicitDefaults = Plain + """

                lr: 0.1
                momentum: 0.90
                nesterov: true
                weight-decay: 0.0005
                milestones: [0.5, 0.75]
                mutual-information: { enabled: false }
                batch-size: 128
            """;

        Assert.Equal(Json(Plain), Json(explicitDefaults));
        Assert.Equal(Json(Plain), Json(Plain, "fm: { kind: fashion-mnist, validation: 1000, augmentation: { flip: true } }"));
    }

    [Fact]
    public void Settings_that_do_not_change_results_are_left_out()
    {
        var operational = Plain + "\n    checkpoint-minutes: 1\n    eval-batch-size: 64\n    tensorboard: false\n    description: hello";

        Assert.Equal(Json(Plain), Json(operational));
        Assert.Equal(Json(Plain), Json(Plain, "fm: { kind: fashion-mnist, validation: 1000, path: /somewhere/else }"));
    }

    [Fact]
    public void Result_changing_settings_change_the_json()
    {
        var baseline = Json(Plain);

        Assert.NotEqual(baseline, Json(Plain.Replace("alpha: 0.1", "alpha: 0.2")));
        Assert.NotEqual(baseline, Json(Plain, "fm: { kind: fashion-mnist, validation: 2000 }"));
        Assert.NotEqual(baseline, Json(Plain + "\n    mutual-information: { enabled: true }"));
    }

    [Fact]
    public void Names_are_not_content_except_for_kinds_whose_outputs_name_stages()
    {
        const string yaml = """
            name: t
            datasets:
              fm: { kind: fashion-mnist, validation: 100 }
            models:
              net: { architecture: alexnet }
            stages:
              teacher: { kind: train, dataset: fm, model: net }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
              calibration: { kind: calibrate, inputs: { logits: cache } }
            """;
        var before = TestPipelines.Load(yaml);
        var after = TestPipelines.Load(yaml.Replace("teacher: { kind", "master: { kind").Replace("teacher: teacher", "teacher: master")
            .Replace("cache: { kind", "logits: { kind").Replace("logits: cache", "logits: logits"));

        Assert.Equal(before.Stage("teacher").CanonicalJson(before), after.Stage("master").CanonicalJson(after));
        Assert.Equal(before.Stage("cache").CanonicalJson(before), after.Stage("logits").CanonicalJson(after));
        Assert.Contains("\"inputs\":{\"teacher\":1}", before.Stage("cache").CanonicalJson(before));
        // calibration.json names its stages, so its key does too.
        Assert.NotEqual(before.Stage("calibration").CanonicalJson(before), after.Stage("calibration").CanonicalJson(after));
    }

    [Fact]
    public void Json_is_sorted_compact_and_inlines_dataset_and_model()
    {
        var json = Json(Plain);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var root = doc.RootElement;

        // No id: a stage is keyed by what it computes, so renaming it keeps its result.
        Assert.Equal(["code", "compute", "dataset", "format", "inputs", "kind", "model", "parameters", "seed"], root.EnumerateObject().Select(p => p.Name));
        // The device and thread count as the pipeline states them; the engine resolves auto and 0 before keying.
        Assert.Equal("""{"device":"auto","threads":0}""", root.GetProperty("compute").GetRawText());
        var names = root.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(20, root.GetProperty("model").GetProperty("depth").GetInt32());
        Assert.Equal("fashion-mnist", root.GetProperty("dataset").GetProperty("kind").GetString());
        Assert.Equal(3, root.GetProperty("seed").GetInt32());
        Assert.Contains("\"alpha\":0.1,", json);
        Assert.DoesNotContain(" ", json);
    }

    [Fact]
    public void Class_name_and_index_give_the_same_json()
    {
        var byName = Plain + "\n    mutual-information: { enabled: true, classes: [coat, bag] }";
        var byIndex = Plain + "\n    mutual-information: { enabled: true, classes: [4, 8] }";

        Assert.Equal(Json(byIndex), Json(byName));
    }
}
