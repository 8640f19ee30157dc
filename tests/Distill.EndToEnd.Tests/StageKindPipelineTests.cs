using Distill.EndToEnd.Tests.Support;
using Distill.Pipelines.Catalogue;

namespace Distill.EndToEnd.Tests;

/// <summary>A student distilled with decoupled KD, chosen by the `loss` key, beside a plain KD student.</summary>
[Trait("Category", "Slow")]
public sealed class DistillationLossPipelineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

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
