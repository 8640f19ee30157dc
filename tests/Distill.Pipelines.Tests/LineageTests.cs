using Distill.Pipelines.Graph;

namespace Distill.Pipelines.Tests;

/// <summary>The quickstart's lineage, read from its definitions.</summary>
public sealed class LineageTests
{
    private static readonly Lineage Quickstart = new(Load("quickstart.yaml"));

    private static PipelineDefinition Load(string name)
    {
        var result = PipelineLoader.Load(Path.Combine(RepoFiles.Root, "pipelines", name), StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    [Theory]
    [InlineData("teacher-0.1-seed2", "teacher-0.1-seed2")]     // a train stage is its own
    [InlineData("cache-0.1-seed2", "teacher-0.1-seed2")]       // a cache's teacher, same replicate
    [InlineData("calibration-0.0-seed3", "teacher-0.0-seed3")] // through the calibration's logits
    [InlineData("student-T4-hard-seed1", "teacher-0.0-seed1")] // through the student's cache
    [InlineData("student-smooth-0.1-seed1", "teacher-0.1-seed1")]
    public void Finds_the_train_stage_behind_a_stage(string stage, string train) =>
        Assert.Equal(train, Quickstart.TrainStage(stage)?.Id);

    [Fact]
    public void Stages_without_one_model_have_no_train_stage()
    {
        Assert.Null(Quickstart.TrainStage("projection-seed1"));
        Assert.Null(Quickstart.TrainStage("report"));
        Assert.Null(Quickstart.Alpha("report"));
    }

    [Fact]
    public void Reads_alpha_temperature_and_dataset_from_the_definitions()
    {
        Assert.Equal(0.1, Quickstart.Alpha("student-smooth-0.1-seed2"));
        Assert.Equal(0.0, Quickstart.Alpha("calibration-0.0-seed1"));
        Assert.Equal(4.0, Quickstart.Temperature("student-T4-hard-seed3"));
        Assert.Null(Quickstart.Temperature("teacher-0.0-seed1"));
        Assert.Equal("fmnist", Quickstart.Dataset("calibration-0.1-seed1"));
        Assert.Equal("teacher-0.0-seed2", Quickstart.ModelStageOfInput("student-T1-hard-seed2", "teacher")?.Id);
    }

    [Fact]
    public void A_cached_student_is_a_model_stage_of_its_own_while_its_alpha_is_its_teachers()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              teacher: { kind: train, dataset: fm, model: net, alpha: 0.1 }
              cache: { kind: cache-logits, inputs: { teacher: teacher } }
              student: { kind: distill, dataset: fm, model: net, inputs: { teacher: cache } }
              student-cache: { kind: cache-logits, inputs: { teacher: student } }
              student-calibration: { kind: calibrate, inputs: { logits: student-cache } }
              clusters: { kind: project, inputs: { models: [teacher, student] } }
            """);
        var lineage = new Lineage(p);

        Assert.Equal("student", lineage.ModelStage("student-calibration")?.Id);
        Assert.Equal("teacher", lineage.ModelStage("cache")?.Id);
        Assert.Equal("teacher", lineage.TrainStage("student-calibration")?.Id);
        Assert.Equal(0.1, lineage.Alpha("student-calibration"));
        Assert.Equal("teacher", lineage.ModelStageOfInput("student", "teacher")?.Id);
    }
}
