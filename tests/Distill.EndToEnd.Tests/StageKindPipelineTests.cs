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
            + Student("live", "${loss}", "teacher", "matrix: { loss: [rkd, pkt, sp, at] }", "id: \"student-${loss}\"", "teacher-source: live"));
        var runs = _temp.Combine("runs");

        var (code, output) = Support.DistillCli.Run(TimeSpan.FromMinutes(3), "run", pipeline, "--runs", runs);

        Assert.True(code == 0, output);
        var kd = Support.RunResults.Manifest(Path.Combine(runs, "cache"), "student");
        string[] methods = ["dkd", "dist", "rkd", "pkt", "sp", "at"];
        var students = methods.Select(m => Support.RunResults.Manifest(Path.Combine(runs, "cache"), $"student-{m}")).ToList();
        Assert.All(students, s => Assert.Equal(Distill.Runs.StageStatus.Completed, s.Status));
        Assert.Equal(methods.Length + 1, students.Select(s => s.Key).Append(kd.Key).Distinct().Count());
        Assert.All(students, s => Assert.InRange(s.Metrics["test_accuracy"], 0, 1));
        Assert.All(students, s => Assert.True(double.IsFinite(s.Metrics["train_loss"])));
        // Each method's own term changes what is minimised: no two students report the same training loss.
        Assert.Equal(methods.Length + 1, students.Select(s => s.Metrics["train_loss"]).Append(kd.Metrics["train_loss"]).Distinct().Count());
    }

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
            inputs: { teacher: {{teacher}} }
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
