namespace Distill.Pipelines.Tests;

/// <summary>Small pipelines written inline, so each test shows the YAML it is about.</summary>
internal static class TestPipelines
{
    public const string Header = """
        name: t
        seed: 7
        datasets:
          fm: { kind: fashion-mnist, validation: 1000 }
        models:
          net: { architecture: alexnet }
          res: { architecture: resnet, depth: 20 }
        stages:

        """;

    public static PipelineDefinition Load(string yaml, string file = "/pipelines/test.yaml")
    {
        var result = PipelineLoader.LoadFromText(yaml, file, StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    public static IReadOnlyList<PipelineError> Errors(string yaml)
    {
        var result = PipelineLoader.LoadFromText(yaml, "test.yaml", StageKindRegistry.Catalogue);
        Assert.Null(result.Pipeline);
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    public static string Quickstart => Path.Combine(AppContext.BaseDirectory, "Corpus", "valid", "quickstart.yaml");
}
