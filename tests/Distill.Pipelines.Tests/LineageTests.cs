using Distill.Pipelines.Graph;

namespace Distill.Pipelines.Tests;

/// <summary>The quickstart's lineage, read from its definitions.</summary>
public sealed class LineageTests
{
    private static readonly Lineage Quickstart = new(Load("quickstart.yaml"));

    private static PipelineDefinition Load(string name)
    {
        var result = PipelineLoader.Load(Path.Combine(RepoFiles.Root, "pipelines", name));
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    [Theory]
    [InlineData("teacher-0.1", "teacher-0.1")]     // a train stage is its own
    [InlineData("cache-0.1", "teacher-0.1")]       // a cache's teacher
    [InlineData("calibration-0.0", "teacher-0.0")] // through the calibration's logits
    [InlineData("student-T4-hard", "teacher-0.0")] // through the student's cache
    [InlineData("student-smooth", "teacher-0.1")]
    public void Finds_the_train_stage_behind_a_stage(string stage, string train) =>
        Assert.Equal(train, Quickstart.TrainStage(stage)?.Id);

    [Fact]
    public void Stages_without_one_model_have_no_train_stage()
    {
        Assert.Null(Quickstart.TrainStage("projection"));
        Assert.Null(Quickstart.TrainStage("report"));
        Assert.Null(Quickstart.Alpha("report"));
    }

    [Fact]
    public void Reads_alpha_temperature_and_dataset_from_the_definitions()
    {
        Assert.Equal(0.1, Quickstart.Alpha("student-smooth"));
        Assert.Equal(0.0, Quickstart.Alpha("calibration-0.0"));
        Assert.Equal(4.0, Quickstart.Temperature("student-T4-hard"));
        Assert.Null(Quickstart.Temperature("teacher-0.0"));
        Assert.Equal("fmnist", Quickstart.Dataset("calibration-0.1"));
        Assert.Equal("teacher-0.0", Quickstart.TrainStageOfInput("student-T1-hard", "teacher")?.Id);
    }
}
