using Distill.Pipelines.Schema;

namespace Distill.Pipelines.Tests;

/// <summary>pipelines/README.md's key tables are the catalogue's: type, default, constraint and meaning of every key.</summary>
public class DocumentationTests
{
    /// <summary>To refresh the tables after changing the catalogue, run the tests once with DISTILL_UPDATE_SCHEMA=1.</summary>
    [Fact]
    public void Readme_key_tables_are_generated_from_the_catalogue()
    {
        var committed = File.ReadAllText(RepoFiles.ReadmePath);
        var generated = ReferenceDocs.Update(committed, StageKindRegistry.Catalogue, StageKindRegistry.KeyGroups);
        if (Environment.GetEnvironmentVariable("DISTILL_UPDATE_SCHEMA") == "1") File.WriteAllText(RepoFiles.ReadmePath, generated);

        Assert.Equal(generated, File.ReadAllText(RepoFiles.ReadmePath));
    }

    [Fact]
    public void Every_key_has_a_row_in_its_table()
    {
        var tables = ReferenceDocs.Tables(StageKindRegistry.Catalogue, StageKindRegistry.KeyGroups);
        var training = StageKindRegistry.KeyGroups["training"].Select(k => k.Name).ToHashSet();

        foreach (var kind in StageKindRegistry.Catalogue.All)
            foreach (var key in kind.Parameters.Where(p => !training.Contains(p.Name)))
                Assert.Contains($"| `{key.Name}` |", tables[kind.Name]);
        foreach (var key in StageKindRegistry.Catalogue.Datasets.SelectMany(d => d.Parameters))
            Assert.Contains($"| `{key.Name}` |", tables["datasets"]);
        Assert.Contains("| `depth` | resnet, wrn, resnet-x4, vgg | int | resnet: 56; wrn: 16; resnet-x4: 8; vgg: 13 | resnet, resnet-x4: >= 8, 6n+2; wrn: >= 10, 6n+4; vgg: 8, 11 or 13 |", tables["models"]);
        Assert.Contains("| `width` | resnet | int | 16 | >= 1 |", tables["models"]);
        Assert.Contains("| `milestones` | list of floats | [0.5, 0.75] | each in (0, 1), strictly ascending |", tables["training"]);
        Assert.Contains("| `schedule` | multistep \\| cosine \\| constant | `multistep` |", tables["training"]);
    }

    [Fact]
    public void A_table_name_the_catalogue_does_not_know_is_an_error()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ReferenceDocs.Update(File.ReadAllText(RepoFiles.ReadmePath) + "\n<!-- keys: nonsense -->\n<!-- /keys -->\n",
                StageKindRegistry.Catalogue, StageKindRegistry.KeyGroups));
        Assert.Contains("nonsense", error.Message);
    }

    [Fact]
    public void Readme_names_every_stage_kind_dataset_kind_and_architecture()
    {
        var readme = File.ReadAllText(RepoFiles.ReadmePath);
        var catalogue = StageKindRegistry.Catalogue;
        foreach (var name in catalogue.All.Select(k => k.Name).Concat(catalogue.Datasets.Select(k => k.Name)).Concat(catalogue.Architectures.Select(a => a.Name)))
            Assert.Contains($"`{name}`", readme);
    }
}
