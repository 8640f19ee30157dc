using Distill.EndToEnd.Tests.Support;
using Distill.Pipelines.Catalogue;

namespace Distill.EndToEnd.Tests;

/// <summary>Every distillation method of the catalogue trains a student beside the plain KD student: logit methods from the cache, the others from a live teacher.</summary>
[Trait("Category", "Slow")]
public sealed class DistillationLossPipelineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_method_trains_a_student_beside_a_kd_student()
    {
        var pipeline = _temp.Combine("losses.yaml");
        File.WriteAllText(pipeline, File.ReadAllText(Support.DistillCli.TestPipeline("cache.yaml"))
            + Student("student-dkd", "{ name: dkd, beta: 4 }", "cache") + Student("student-dist", "dist", "cache")
            + Student("new-logit", "${loss}", "cache", "matrix: { loss: [wttm, mlkd, ctkd] }", "id: \"student-${loss}\"")
            + Student("live", "${loss}", "teacher", "matrix: { loss: [rkd, pkt, sp, cc, at, fitnet, nst, vid, fsp] }", "id: \"student-${loss}\"", "teacher-source: live")
            + Student("student-crd", Crd, "teacher", "teacher-source: live")
            // FitNet's two stages as published: hints alone, then KD from the hinted weights.
            + Student("hints", "{ name: fitnet, ce-weight: 0 }", "teacher", "teacher-source: live")
            + Student("student-fitnet-kd", "kd", "{ teacher: cache, init: hints }"));
        var runs = _temp.Combine("runs");

        var (code, output) = Support.DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", runs);

        Assert.True(code == 0, output);
        var kd = Support.RunResults.Manifest(Path.Combine(runs, "cache"), "student");
        string[] methods = ["dkd", "dist", "wttm", "mlkd", "ctkd", "rkd", "pkt", "sp", "crd", "cc", "at", "fitnet", "nst", "vid", "fsp", "fitnet-kd"];
        var students = methods.Select(m => Support.RunResults.Manifest(Path.Combine(runs, "cache"), $"student-{m}")).ToList();
        Assert.All(students, s => Assert.Equal(Distill.Runs.StageStatus.Completed, s.Status));
        Assert.Equal(methods.Length + 1, students.Select(s => s.Key).Append(kd.Key).Distinct().Count());
        Assert.All(students, s => Assert.InRange(s.Metrics["test_accuracy"], 0, 1));
        Assert.All(students, s => Assert.True(double.IsFinite(s.Metrics["train_loss"])));
        var hints = Support.RunResults.Manifest(Path.Combine(runs, "cache"), "hints");
        Assert.Contains(students.Single(s => s.StageId == "student-fitnet-kd").Inputs, i => i.StageId == "hints" && i.Key == hints.Key);
        // CTKD's temperature trained with the student: it left its start, 1 + 20 sigmoid(1), and stayed in its range.
        double learned = students.Single(s => s.StageId == "student-ctkd").Metrics["learned_temperature"];
        Assert.InRange(learned, 1, 21);
        Assert.NotEqual(1 + 20 / (1 + Math.Exp(-1)), learned, 6);
        // Each method's own term changes what is minimised: no two students report the same training loss.
        Assert.Equal(methods.Length + 1, students.Select(s => s.Metrics["train_loss"]).Append(kd.Metrics["train_loss"]).Distinct().Count());
    }

    /// <summary>
    /// A cache with `embeddings: true` holds the teacher's penultimate embeddings of every view, named and hashed in
    /// the sidecar; embedding methods trained from it alone learn exactly what they learn from the live teacher (one
    /// replicate seed for both: without `seeds:` a stage's randomness comes from its content, which teacher-source is part of).
    /// </summary>
    [Fact]
    public void Embedding_methods_from_a_cache_train_the_same_students_as_from_the_live_teacher()
    {
        var pipeline = _temp.Combine("embeddings.yaml");
        File.WriteAllText(pipeline, File.ReadAllText(Support.DistillCli.TestPipeline("cache.yaml"))
                .Replace("    splits: [train, test]", "    splits: [train, test]\n    views: 2\n    embeddings: true")
                .Replace("    kind: fashion-mnist\n", "    kind: fashion-mnist\n    augmentation: { crop-padding: 2, flip: true }\n")
            + Student("cached", "${loss}", "cache", "matrix: { loss: [rkd, pkt] }", "id: \"${loss}-cached\"", "views: 2", "seeds: [1]")
            + Student("live", "${loss}", "teacher", "matrix: { loss: [rkd, pkt] }", "id: \"${loss}-live\"", "views: 2", "seeds: [1]", "teacher-source: live")
            + Student("crd-cached", Crd, "cache", "views: 2", "seeds: [1]")
            + Student("crd-live", Crd, "teacher", "views: 2", "seeds: [1]", "teacher-source: live"));
        var runs = _temp.Combine("runs");

        var (code, output) = Support.DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", runs);

        Assert.True(code == 0, output);
        var run = Path.Combine(runs, "cache");
        var sidecar = Distill.Runs.LogitCacheSidecar.Load(Support.RunResults.Output(run, "cache", "logits-train.npy.json"))!;
        Assert.Equal("embeddings-train.npy", sidecar.Embeddings!.File);
        var embeddings = Support.RunResults.Output(run, "cache", "embeddings-train.npy");
        Assert.Equal(Distill.Runs.FileHash.Sha256Hex(embeddings), sidecar.Embeddings.Sha256);
        using (var file = Distill.Runs.NpyFile.Open(embeddings))
            Assert.Equal((2 * 300L, 32), (file.Rows, file.Columns)); // 2 views of 300 training images; ResNet-8 of width 8 embeds in 4 x 8
        foreach (var method in new[] { "rkd", "pkt", "crd" })
        {
            var cached = Support.RunResults.Manifest(run, $"{method}-cached-seed1");
            var live = Support.RunResults.Manifest(run, $"{method}-live-seed1");
            Assert.NotEqual(cached.Key, live.Key);
            Assert.Equal(live.Outputs.Single(o => o.Path == "weights.safetensors").Sha256, cached.Outputs.Single(o => o.Path == "weights.safetensors").Sha256);
        }
    }

    /// <summary>CRD with fewer negatives than published, as fits 300 training images.</summary>
    private const string Crd = "{ name: crd, negatives: 64 }";

    /// <summary>A distill stage appended to the test pipeline; <paramref name="teacher"/> is the teacher's stage or the whole inputs map.</summary>
    private static string Student(string id, string loss, string teacher, params string[] more) => $$"""

          {{id}}:
            kind: distill
            dataset: fmnist
            model: tiny-resnet
            epochs: 1
            batch-size: 16
            lr: 0.05
            temperature: 4
            loss: {{loss}}
            inputs: {{(teacher.StartsWith('{') ? teacher : $"{{ teacher: {teacher} }}")}}
        {{string.Concat(more.Select(line => $"    {line}\n"))}}
        """;
}

/// <summary>A student studied like a teacher: its logits cached, its calibration measured, its clusters projected.</summary>
[Trait("Category", "Slow")]
public sealed class StudentSubjectPipelineTests : IDisposable
{
    private readonly TempFolder _temp = new();

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
