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
}
