namespace Distill.Pipelines.Tests;

public class ReadmeExampleTests
{
    [Fact]
    public void Readme_example_pipeline_is_valid_and_expands_as_described()
    {
        var readme = File.ReadAllText(RepoFiles.ReadmePath);
        var start = readme.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        var p = TestPipelines.Load(yaml);

        Assert.Equal(["teacher-0.0", "teacher-0.1"], p.Stages.Where(s => s.BaseName == "teacher").Select(s => s.Id));
        Assert.Contains(p.Stages, s => s.Id == "student-temperature1-alpha0.0");
        Assert.Equal(8, p.Stage("report").Inputs["students"].Count);
    }
}
