using Distill.EndToEnd.Tests.Support;
using Distill.Runs;
using Distill.Stages.Kinds.Distill.Losses;
using Xunit.Abstractions;

namespace Distill.EndToEnd.Tests;

/// <summary>
/// Every registered distillation method trains the same bits in a second, separate run that is killed and resumed:
/// logit and embedding methods from a cache that holds embeddings, the feature-map methods from the live teacher. The
/// second run shares nothing with the first (another runs folder), so every stage is computed twice. The first run's
/// bits are pinned with the revisions of the code that made them (<see cref="GoldenDigests"/>).
/// CI runs it under the CPU's own instruction set and again as an AVX2-only machine (.ci/run).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Slow")]
public sealed class MethodDeterminismTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The methods that read feature maps, which a cache does not hold.</summary>
    private static readonly string[] LiveOnly = ["at", "fitnet", "nst", "vid", "fsp", "reviewkd", "ofd", "ab", "ft", "kdsvd"];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_method_gives_the_same_bits_in_a_second_run_killed_and_resumed()
    {
        var pipeline = _temp.Combine("methods.yaml");
        File.WriteAllText(pipeline, Pipeline());
        var first = RunToEnd("first");
        var expected = RunResults.Fingerprint(first);
        Assert.Equal(DistillationLosses.Names.Count + 5, expected.Count); // and the teacher, its cache, its kd student, two DOT students
        Assert.All(expected.Values, v => Assert.StartsWith("Completed|", v));
        // Every method's bits pinned with the revisions of its code: a loss changed without a bump fails here.
        GoldenDigests.Check("methods", first, output);


        var killedRoot = _temp.Combine("killed");
        // Killed three times, each time once the stage's manifest records its first epoch's checkpoint, so the reruns resume
        // a method's student (dkd), FT's (whose paraphraser trained before that epoch) and a student of DOT's two momenta from
        // there, in the order the run reaches them.
        foreach (var stage in new[] { "student-dkd", "student-ft", "student-kd-dot" })
        {
            using var running = DistillCli.Start("run", pipeline, "--runs", killedRoot);
            var deadline = DateTime.UtcNow + RunTimeout;
            while (!CheckpointedFirstEpoch(Path.Combine(killedRoot, "methods"), stage) && DateTime.UtcNow < deadline)
                if (running.WaitForExit(TimeSpan.FromMilliseconds(10))) break;
            Assert.False(running.Process.HasExited, $"the run ended before the kill in {stage}");
            running.Signal("KILL");
            running.WaitForExit(TimeSpan.FromSeconds(10));
            output.WriteLine($"killed in {stage}; last lines:\n{string.Join('\n', running.Output.Split('\n').TakeLast(3))}");
        }
        Assert.Contains(RunResults.Fingerprint(Path.Combine(killedRoot, "methods")).Values, v => !v.StartsWith("Completed|"));
        var resumed = RunToEnd("killed", out var text);
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.Contains("resuming", StringComparison.Ordinal))));
        Assert.Equal(expected, RunResults.Fingerprint(resumed));
    }

    /// <summary>Whether the stage is running with its first epoch checkpointed (its manifest's progress).</summary>
    private static bool CheckpointedFirstEpoch(string run, string stage)
    {
        try
        {
            return RunDirectory.AtPath(run).Stage(stage)?.ReadManifest() is { Status: StageStatus.Running, Progress.Epoch: >= 1 };
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            return false; // the run is creating or replacing the file just now
        }
    }

    private string RunToEnd(string name) => RunToEnd(name, out _);

    private string RunToEnd(string name, out string text)
    {
        var runs = _temp.Combine(name);
        (int code, text) = DistillCli.Run(RunTimeout, "run", _temp.Combine("methods.yaml"), "--runs", runs);
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        return Path.Combine(runs, "methods");
    }

    /// <summary>
    /// The cache test pipeline (its teacher, its cache, now with embeddings, and its kd student) and one student per
    /// registered method at its defaults; CRD with 64 negatives, as fits 300 training images; KD and CRD trained with DOT.
    /// </summary>
    private static string Pipeline()
    {
        var cached = DistillationLosses.Names.Where(n => !LiveOnly.Contains(n) && n != "crd").ToList();
        return File.ReadAllText(DistillCli.TestPipeline("cache.yaml"))
            .Replace("name: cache", "name: methods")
            .Replace("    splits: [train, test]", "    splits: [train, test]\n    embeddings: true")
            + Students("cached", $"[{string.Join(", ", cached)}]", "teacher: cache", "")
            + Students("student-crd", null, "teacher: cache", "    loss: { name: crd, negatives: 64 }\n")
            + Students("live", $"[{string.Join(", ", LiveOnly)}]", "teacher: teacher", "    teacher-source: live\n")
            // DOT's two momenta (a trainer, not a loss): KD as mdistiller trains it, and CRD, whose embeddings only its distillation part reaches.
            + Students("student-kd-dot", null, "teacher: cache", "    beta: 0.9\n    t-squared: true\n    nesterov: false\n    dot: { delta: 0.075 }\n")
            + Students("student-crd-dot", null, "teacher: cache", "    loss: { name: crd, negatives: 64 }\n    nesterov: false\n    dot: {}\n");
    }

    /// <summary>A distill stage, or with <paramref name="losses"/> one per loss of that list (ids "student-<loss>").</summary>
    private static string Students(string id, string? losses, string inputs, string more) => $$"""

          {{id}}:
            kind: distill
            dataset: fmnist
            model: tiny-resnet
        {{(losses is null ? "" : $"    matrix: {{ loss: {losses} }}\n    id: \"student-${{loss}}\"\n    loss: ${{loss}}\n")}}    epochs: 2
            batch-size: 16
            lr: 0.05
            temperature: 4
            inputs: { {{inputs}} }
        {{more}}
        """;
}
