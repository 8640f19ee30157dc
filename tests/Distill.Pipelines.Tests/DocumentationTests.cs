using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Tests;

/// <summary>pipelines/README.md documents every key the loader knows.</summary>
public class DocumentationTests
{
    private static readonly string Readme = File.ReadAllText(RepoFiles.ReadmePath);

    public static TheoryData<string, string> Keys()
    {
        var data = new TheoryData<string, string>();
        void Add(string where, IEnumerable<ParameterSpec> specs)
        {
            foreach (var p in specs)
            {
                data.Add(where, p.Name);
                foreach (var f in p.Fields) data.Add(where, $"{p.Name}.{f.Name}");
            }
        }
        Add("pipeline", PipelineKeys.Scalars);
        Add("stage", StageKindRegistry.Catalogue.CommonKeys.Concat(Distill.Pipelines.Catalogue.StageReferenceKeys.All));
        foreach (var k in StageKindRegistry.Catalogue.All) Add(k.Name, k.Parameters);
        foreach (var k in StageKindRegistry.Catalogue.Datasets) Add(k.Name, k.Parameters);
        foreach (var a in StageKindRegistry.Catalogue.Architectures) Add(a.Name, a.Parameters);
        return data;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Readme_documents_key(string where, string key)
    {
        Assert.True(Readme.Contains($"`{key}`", StringComparison.Ordinal), $"pipelines/README.md does not document `{key}` ({where})");
    }

    [Fact]
    public void Readme_names_every_stage_kind_dataset_kind_and_architecture()
    {
        foreach (var name in StageKindRegistry.Catalogue.All.Select(k => k.Name).Concat(StageKindRegistry.Catalogue.Datasets.Select(k => k.Name)).Concat(StageKindRegistry.Catalogue.Architectures.Select(a => a.Name)))
            Assert.Contains($"`{name}`", Readme);
    }
}

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
