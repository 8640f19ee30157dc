using System.Text.Json;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Schema;

namespace Distill.Pipelines.Tests;

public class SchemaTests
{
    /// <summary>The committed schema is the catalogue's output. To refresh it after changing the catalogue,
    /// run the tests once with DISTILL_UPDATE_SCHEMA=1.</summary>
    [Fact]
    public void Committed_schema_matches_the_catalogue()
    {
        var generated = PipelineSchema.ToJson(StageKindRegistry.Catalogue);
        if (Environment.GetEnvironmentVariable("DISTILL_UPDATE_SCHEMA") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RepoFiles.SchemaPath)!);
            File.WriteAllText(RepoFiles.SchemaPath, generated);
        }

        Assert.Equal(generated, File.ReadAllText(RepoFiles.SchemaPath));
    }

    [Fact]
    public void Schema_is_draft_2020_12_json_listing_every_stage_kind_and_parameter()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoFiles.SchemaPath));
        var root = doc.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());

        var stage = root.GetProperty("$defs").GetProperty("stage");
        var kinds = stage.GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(StageKindRegistry.Catalogue.All.Select(k => k.Name), kinds);

        var branches = stage.GetProperty("allOf").EnumerateArray().ToList();
        foreach (var kind in StageKindRegistry.Catalogue.All)
        {
            var then = branches.Single(b => b.GetProperty("if").GetProperty("properties").GetProperty("kind").GetProperty("const").GetString() == kind.Name)
                .GetProperty("then").GetProperty("properties");
            foreach (var p in kind.Parameters)
            {
                Assert.True(then.TryGetProperty(p.Name, out var prop), $"schema of {kind.Name} lacks '{p.Name}'");
                if (p.Type == ParameterType.Map)
                    foreach (var f in p.Fields)
                        Assert.True(prop.GetProperty("properties").TryGetProperty(f.Name, out _), $"schema of {kind.Name}.{p.Name} lacks '{f.Name}'");
            }
            foreach (var r in kind.Inputs)
                Assert.True(then.GetProperty("inputs").GetProperty("properties").TryGetProperty(r.Role, out _), $"schema of {kind.Name} lacks input '{r.Role}'");
        }
    }

    [Fact]
    public void Schema_lists_dataset_kinds_architectures_and_top_level_keys()
    {
        using var doc = JsonDocument.Parse(PipelineSchema.ToJson(StageKindRegistry.Catalogue));
        var defs = doc.RootElement.GetProperty("$defs");

        Assert.Equal(StageKindRegistry.Catalogue.Datasets.Select(k => k.Name),
            defs.GetProperty("dataset").GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(StageKindRegistry.Catalogue.Architectures.Select(k => k.Name),
            defs.GetProperty("model").GetProperty("properties").GetProperty("architecture").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        foreach (var key in PipelineKeys.Scalars.Select(k => k.Name).Concat(PipelineKeys.Sections.Select(s => s.Name)))
            Assert.True(doc.RootElement.GetProperty("properties").TryGetProperty(key, out _), $"schema lacks top-level '{key}'");
    }

    [Fact]
    public void Numeric_keys_carry_their_range_and_default()
    {
        using var doc = JsonDocument.Parse(PipelineSchema.ToJson(StageKindRegistry.Catalogue));
        var train = doc.RootElement.GetProperty("$defs").GetProperty("stage").GetProperty("allOf")[0].GetProperty("then").GetProperty("properties");
        var alpha = train.GetProperty("alpha").GetProperty("anyOf")[0];

        Assert.Equal(0, alpha.GetProperty("minimum").GetDouble());
        Assert.Equal(1, alpha.GetProperty("exclusiveMaximum").GetDouble());
        Assert.Equal(0, alpha.GetProperty("default").GetDouble());
        Assert.Equal("#/$defs/matrix-reference", train.GetProperty("alpha").GetProperty("anyOf")[1].GetProperty("$ref").GetString());
    }
}
