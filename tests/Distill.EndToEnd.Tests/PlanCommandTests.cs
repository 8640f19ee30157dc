using Distill.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>`distill plan` predicts, stage by stage, what `distill run` then does.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PlanCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Plan_matches_what_run_does_after_an_edit_and_touches_nothing()
    {
        var file = _temp.Combine("smoke.yaml");
        var smoke = File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"));
        File.WriteAllText(file, smoke);
        var runs = _temp.Combine("runs");

        var (_, first) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", file, "--runs", runs);
        Assert.Contains("0 reused, 0 to resume, 7 to run", first);
        Assert.Contains("no estimate: nothing similar stored", first);
        Assert.False(Directory.Exists(runs), "plan creates nothing");

        var (code, _) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", runs);
        Assert.Equal(0, code);
        // Edit the hard teacher's students only: teachers, caches and the smoothed teacher's student are reused.
        const string studentViews = "    views: 2\n    inputs: { teacher: \"cache-${alpha}\" }";
        Assert.Contains(studentViews, smoke);
        File.WriteAllText(file, smoke.Replace(studentViews, studentViews.Replace("views: 2", "views: 1")));
        var (_, plan) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", file, "--runs", runs);
        output.WriteLine(plan);
        var (_, run) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", runs);

        foreach (var line in plan.Split('\n').Where(l => l.Contains("  reuse  ") || l.Contains("  run  ")))
        {
            var stage = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            if (line.Contains("  reuse  ")) Assert.Contains($"{stage}: uptodate", run);
            else Assert.Contains($"{stage} ", run.Split('\n').Where(l => l.Contains("starting")).Aggregate("", (a, l) => a + l + "\n"));
        }
        Assert.Contains("teacher-0.0", plan.Split('\n').Single(l => l.StartsWith("teacher-0.0") && l.Contains("  reuse  ")));
        var student = plan.Split('\n').Single(l => l.StartsWith("student-T1-alpha0.0"));
        Assert.Contains("key changed", student);
        Assert.Contains("parameters.views 2 -> 1", student);
        // Estimated from the stored durations of the closest distill stages.
        Assert.Contains("[~", student);
        Assert.Contains("stored distill stage", student);
        Assert.Contains("5 reused, 0 to resume, 2 to run: about ", plan);
    }

    /// <summary>The benchmark's CIFAR-100 is downloaded by the first run; plan downloads nothing and says so for every stage.</summary>
    [Fact]
    public void Plan_of_a_pipeline_whose_data_is_not_downloaded_yet_downloads_nothing()
    {
        var file = _temp.Combine("cifar100-kd-benchmark.yaml");
        File.WriteAllText(file, File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "cifar100-kd-benchmark.yaml")));
        Directory.CreateDirectory(_temp.Combine("published")); // the report's published numbers, beside the pipeline as in pipelines/
        File.Copy(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "published", "cifar100-kd-benchmark.csv"), _temp.Combine("published", "cifar100-kd-benchmark.csv"));
        var runs = _temp.Combine("runs");

        var (code, plan) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", file, "--runs", runs);

        Assert.True(code == 0, plan);
        Assert.Contains("0 reused, 0 to resume, 299 to run", plan);
        Assert.Contains("teacher-resnet56", plan.Split('\n').Single(l => l.Contains("never run: dataset 'cifar100' is downloaded by the first run") && l.StartsWith("teacher-resnet56")));
        Assert.False(Directory.Exists(_temp.Combine("data")), "plan downloads nothing");
        Assert.False(Directory.Exists(runs), "plan creates nothing");
    }

    /// <summary>Keys by content: renaming every stage and input computes nothing, and a second stage with a stored stage's content reuses it.</summary>
    [Fact]
    public void Renamed_stages_and_a_twin_of_a_stored_stage_compute_nothing()
    {
        var file = _temp.Combine("smoke.yaml");
        var smoke = File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"));
        File.WriteAllText(file, smoke);
        var runs = _temp.Combine("runs");
        var (code, first) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", runs);
        Assert.True(code == 0, first);

        var renamed = smoke.Replace("teacher-${alpha}", "master-${alpha}").Replace("\n  cache:\n", "\n  logits:\n").Replace("\"cache-${alpha}\"", "\"logits-${alpha}\"")
            .Replace("id: \"cache-", "id: \"logits-").Replace("cache-0.1", "logits-0.1").Replace("\n  student-smooth:\n", "\n  pupil-smooth:\n")
            .Replace("\n  student:\n", "\n  pupil:\n").Replace("id: \"student-T", "id: \"pupil-T");
        Assert.DoesNotContain("teacher-", renamed);
        // A stage with the content of the stored hard teacher under a third name.
        renamed += "\n  twin:\n    <<: *training\n    kind: train\n    alpha: 0.0\n    mutual-information: { enabled: true, classes: [T-shirt/top, Trouser], examples-per-class: 20, augmentations: 3 }\n";
        File.WriteAllText(file, renamed);

        var (_, plan) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", file, "--runs", runs);
        output.WriteLine(plan);
        Assert.Contains("8 reused, 0 to resume, 0 to run", plan);
        var (again, run) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", runs);
        output.WriteLine(run);
        Assert.True(again == 0, run);
        Assert.DoesNotContain("starting", run);
        Assert.Equal(RunResults.Manifest(Path.Combine(runs, "smoke"), "master-0.0").Key, RunResults.Manifest(Path.Combine(runs, "smoke"), "twin").Key);
    }

    /// <summary>Two stages of one pipeline with the same content are one result: computed once, the other waits for it and reuses it.</summary>
    [Fact]
    public void Twin_stages_in_one_pipeline_are_computed_once_even_in_parallel()
    {
        var file = _temp.Combine("twins.yaml");
        File.WriteAllText(file, """
            name: twins
            seed: 1
            threads: 1
            datasets:
              fm: { kind: fashion-mnist, validation: 50, subset: { train: 200, test: 100 } }
            models:
              net: { architecture: resnet, depth: 8, width: 4 }
            stages:
              a: { kind: train, dataset: fm, model: net, epochs: 1, batch-size: 50 }
              b: { kind: train, dataset: fm, model: net, epochs: 1, batch-size: 50 }
            """);
        var runs = _temp.Combine("runs");

        var (code, log) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", runs, "--jobs", "2");

        output.WriteLine(log);
        Assert.True(code == 0, log);
        Assert.Single(log.Split('\n'), l => l.Contains("starting", StringComparison.Ordinal));
        Assert.Equal(RunResults.Manifest(Path.Combine(runs, "twins"), "a").Key, RunResults.Manifest(Path.Combine(runs, "twins"), "b").Key);
    }
}
