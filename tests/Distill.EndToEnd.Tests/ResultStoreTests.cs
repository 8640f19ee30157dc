using System.Diagnostics;
using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// The content-addressed store: a key completed once, by any pipeline under the root, is not computed again;
/// concurrent runs reaching one key compute it once; gc removes only entries no run points to.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ResultStoreTests(ITestOutputHelper output) : IDisposable
{
    private const string StudentViews = "    views: 2\n    inputs: { teacher: \"cache-${alpha}\" }";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Smoke => File.ReadAllText(Path.Combine(DistillCli.RepositoryRoot, "pipelines", "smoke.yaml"));

    private string Runs => _temp.Combine("runs");

    private string Write(string name, string text)
    {
        var file = _temp.Combine(name + ".yaml");
        File.WriteAllText(file, text.Replace("name: smoke\n", $"name: {name}\n"));
        return file;
    }

    /// <summary>Runs to the end and returns the output, how many stages started work, and the wall time.</summary>
    private (string Output, int Started, TimeSpan Wall) RunToEnd(string file)
    {
        var clock = Stopwatch.StartNew();
        var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(3), "run", file, "--runs", Runs);
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        return (text, StartedStages(text), clock.Elapsed);
    }

    private static int StartedStages(string text) => text.Split('\n').Count(l => l.Contains("): starting - ") || l.Contains("): resuming - "));

    [Fact]
    public void A_value_set_back_or_a_second_pipeline_computes_nothing_and_gc_keeps_what_runs_point_to()
    {
        Assert.Contains(StudentViews, Smoke);
        var file = Write("smoke", Smoke);
        var first = RunToEnd(file);
        Assert.Equal(7, first.Started);

        File.WriteAllText(file, Smoke.Replace(StudentViews, StudentViews.Replace("views: 2", "views: 1")));
        var edited = RunToEnd(file);
        Assert.Equal(2, edited.Started); // the hard teacher's two students

        File.WriteAllText(file, Smoke);
        var setBack = RunToEnd(file);
        output.WriteLine($"first run {first.Wall.TotalSeconds:F1} s (7 stages computed); edit {edited.Wall.TotalSeconds:F1} s ({edited.Started} computed); " +
            $"value set back {setBack.Wall.TotalSeconds:F1} s ({setBack.Started} computed)");
        Assert.Equal(0, setBack.Started);
        Assert.Contains("student-T1-alpha0.0: uptodate", setBack.Output);
        Assert.Contains("found in the store: computed by smoke/student-T1-alpha0.0", setBack.Output);

        // Another pipeline defining the same stages (ids, settings, seed, data) reuses every one.
        var other = RunToEnd(Write("smoke-copy", Smoke));
        output.WriteLine($"second pipeline {other.Wall.TotalSeconds:F1} s ({other.Started} computed)");
        Assert.Equal(0, other.Started);
        Assert.Contains("teacher-0.0: uptodate", other.Output);
        Assert.Contains("found in the store: computed by smoke/teacher-0.0", other.Output);

        // The two views-1 students are the only entries no run points to.
        var store = StageStore.Under(Runs);
        var inUse = StoreCollector.PointedKeys(Runs);
        Assert.Equal(9, store.Keys().Count);
        Assert.Equal(7, inUse.Count);
        var (dryCode, dry) = DistillCli.Run(TimeSpan.FromMinutes(1), "gc", "--runs", Runs, "--keep-days", "0", "--dry-run");
        Assert.Equal(0, dryCode);
        Assert.Contains("Would remove 2 entries", dry);
        Assert.Equal(9, store.Keys().Count);

        var (gcCode, gc) = DistillCli.Run(TimeSpan.FromMinutes(1), "gc", "--runs", Runs, "--keep-days", "0");
        output.WriteLine(gc);
        Assert.Equal(0, gcCode);
        Assert.Contains("Removed 2 entries", gc);
        Assert.Contains("7 of them in use by a run", gc);
        Assert.Equal(inUse.Keys.Order(StringComparer.Ordinal), store.Keys());
        Assert.Equal(0, RunToEnd(file).Started);
    }

    [Fact]
    public void Results_computed_with_another_thread_count_are_not_shared()
    {
        // LibTorch's CPU reductions split their work by thread, so 1 and 2 threads give different bits:
        // the thread count is part of every key, and a pipeline pinned to 1 thread reuses nothing of one pinned to 2.
        Assert.Contains("threads: 2\n", Smoke);
        RunToEnd(Write("two-threads", Smoke));
        var (code, plan) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", Write("one-thread", Smoke.Replace("threads: 2\n", "threads: 1\n")), "--runs", Runs);
        output.WriteLine(plan);
        Assert.Equal(0, code);
        Assert.Contains("0 reused, 0 to resume, 7 to run", plan);
        var (_, same) = DistillCli.Run(TimeSpan.FromMinutes(1), "plan", Write("two-threads-again", Smoke), "--runs", Runs);
        Assert.Contains("7 reused, 0 to resume, 0 to run", same);
    }

    [Fact]
    public void Gc_refuses_while_a_pipeline_runs_and_needs_a_rule()
    {
        using (StageStore.Under(Runs).Use())
        {
            var (code, text) = DistillCli.Run(TimeSpan.FromMinutes(1), "gc", "--runs", Runs, "--keep-days", "0");
            Assert.Equal(1, code);
            Assert.Contains("Pipelines are running under", text);
        }
        var (none, message) = DistillCli.Run(TimeSpan.FromMinutes(1), "gc", "--runs", Runs);
        Assert.Equal(2, none);
        Assert.Contains("give --keep-days N", message);
    }

    [Fact]
    public void Two_runs_reaching_the_same_keys_at_once_compute_each_key_once()
    {
        var (a, b) = (Write("smoke-a", Smoke), Write("smoke-b", Smoke));
        using var runA = DistillCli.Start("run", a, "--runs", Runs);
        using var runB = DistillCli.Start("run", b, "--runs", Runs);
        Assert.True(runA.WaitForExit(TimeSpan.FromMinutes(4)), runA.Output);
        Assert.True(runB.WaitForExit(TimeSpan.FromMinutes(4)), runB.Output);
        output.WriteLine(runA.Output + "\n----\n" + runB.Output);
        Assert.Equal(0, runA.Process.ExitCode);
        Assert.Equal(0, runB.Process.ExitCode);

        // Seven shared stages: every key was started exactly once, by one of the two runs.
        var store = StageStore.Under(Runs);
        Assert.Equal(7, store.Keys().Count);
        Assert.All(store.Keys(), k => Assert.Equal(1, store.Entry(k).ReadManifest()!.Attempts));
        Assert.Equal(7, StartedStages(runA.Output) + StartedStages(runB.Output));
        Assert.Contains("waiting for key", runA.Output + runB.Output);
        Assert.Equal(RunResults.Fingerprint(RunDirectory.Locate(Runs, "smoke-a").RootPath),
            RunResults.Fingerprint(RunDirectory.Locate(Runs, "smoke-b").RootPath));
    }
}
