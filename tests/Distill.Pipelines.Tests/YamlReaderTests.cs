using System.Text;

namespace Distill.Pipelines.Tests;

public class YamlReaderTests
{
    [Fact]
    public void Alias_bomb_is_refused_with_one_clear_error()
    {
        var yaml = new StringBuilder("name: t\nx-0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 9; i++)
            yaml.Append($"x-{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        yaml.Append("stages: { s: { kind: report, inputs: { all: *a8 } } }\n");

        var e = Assert.Single(TestPipelines.Errors(yaml.ToString()));
        Assert.Contains("expands to more than 100000 nodes", e.Message);
    }

    [Fact]
    public void Many_ordinary_aliases_are_fine()
    {
        var yaml = new StringBuilder(TestPipelines.Header + "  teacher: { kind: train, dataset: fm, model: net }\n");
        yaml.Append("x-d: &d [1, 2, 3]\n");
        for (var i = 0; i < 200; i++) yaml.Append($"x-{i}: *d\n");

        Assert.NotNull(TestPipelines.Load(yaml.ToString()));
    }

    [Fact]
    public void Oversized_document_is_refused_before_parsing()
    {
        var yaml = "name: t\n# " + new string('x', PipelineLoader.MaxFileBytes) + "\n";

        var e = Assert.Single(TestPipelines.Errors(yaml));
        Assert.Equal((1, 1), (e.Line, e.Column));
        Assert.Contains("the limit is 1048576 bytes", e.Message);
    }

    [Fact]
    public void Oversized_file_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"distill-big-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "name: t\n# " + new string('x', PipelineLoader.MaxFileBytes));
        try
        {
            var e = Assert.Single(PipelineLoader.Load(path, StageKindRegistry.Catalogue).Errors);
            Assert.Contains("the limit is", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_file_is_one_error()
    {
        var e = Assert.Single(PipelineLoader.Load("/nonexistent/pipeline.yaml", StageKindRegistry.Catalogue).Errors);
        Assert.Equal("/nonexistent/pipeline.yaml:1:1: pipeline file not found: /nonexistent/pipeline.yaml", e.ToString());
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var yaml = "name: t\nx-deep: " + new string('[', 200) + new string(']', 200) + "\nstages: {}\n";

        Assert.Contains(TestPipelines.Errors(yaml), e => e.Message.Contains("nesting is deeper than"));
    }

    [Fact]
    public void Error_in_a_merged_value_points_where_the_value_is_written()
    {
        var errors = TestPipelines.Errors("""
            name: t
            x-defaults: &defaults
              lr: -3
            datasets: { fm: { kind: fashion-mnist } }
            models: { net: { architecture: alexnet } }
            stages:
              a: { <<: *defaults, kind: train, dataset: fm, model: net }
              b: { <<: *defaults, kind: train, dataset: fm, model: net }
            """);

        var e = Assert.Single(errors); // same place, same message: reported once
        Assert.Equal("test.yaml:3:7: lr must be > 0, got -3", e.ToString());
    }

    [Fact]
    public void Errors_are_collected_across_the_whole_file_in_order()
    {
        var errors = TestPipelines.Errors("""
            name: Bad Name
            seed: -1
            datasets: { fm: { kind: mnist } }
            models: { net: { architecture: alexnet, width: 3 } }
            stages:
              a: { kind: train, dataset: fm, model: net, epochs: 0 }
              b: { kind: report, inputs: { x: missing } }
            """);

        Assert.Equal(6, errors.Count);
        Assert.Equal(errors.OrderBy(e => e.Line).ThenBy(e => e.Column), errors);
    }

    [Fact]
    public void Quoted_numbers_are_strings_and_tags_are_honoured()
    {
        var errors = TestPipelines.Errors(TestPipelines.Header + "  teacher: { kind: train, dataset: fm, model: net, epochs: \"5\", batch-size: !!str 64 }\n");

        Assert.Equal(["epochs must be an integer, got '5'", "batch-size must be an integer, got '64'"], errors.Select(e => e.Message));
        Assert.NotNull(TestPipelines.Load(TestPipelines.Header + "  teacher: { kind: train, dataset: fm, model: net, epochs: !!int 5 }\n"));
    }
}
