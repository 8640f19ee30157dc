using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds;

namespace Distill.Pipelines.Tests;

/// <summary>The loaded pipeline a stage process is handed as JSON reads back to the same definitions, so every key is the same.</summary>
public sealed class ResolvedPipelineJsonTests
{
    public static TheoryData<string> Files =>
        [.. Directory.GetFiles(Path.Combine(RepoFiles.Root, "pipelines"), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    private static void AssertSame(PipelineDefinition expected, PipelineDefinition actual)
    {
        Assert.Equal((expected.Name, expected.Seed, expected.Device, expected.Threads, expected.SourcePath, expected.Description, expected.Resources),
            (actual.Name, actual.Seed, actual.Device, actual.Threads, actual.SourcePath, actual.Description, actual.Resources));
        Assert.Equal(expected.Stages.Select(s => s.Id), actual.Stages.Select(s => s.Id));
        foreach (var (e, a) in expected.Stages.Zip(actual.Stages))
        {
            // The canonical form covers parameters (with their types), dataset and model; the rest is compared here.
            Assert.Equal(e.CanonicalJson(expected), a.CanonicalJson(actual));
            Assert.Equal((e.BaseName, e.Kind, e.Dataset, e.Model, e.Location, e.Resources, e.Replicate), (a.BaseName, a.Kind, a.Dataset, a.Model, a.Location, a.Resources, a.Replicate));
            Assert.Equal(e.Inputs.Select(i => $"{i.Key}={string.Join(",", i.Value)}"), a.Inputs.Select(i => $"{i.Key}={string.Join(",", i.Value)}"));
            Assert.Equal(e.Parameters.ToString(), a.Parameters.ToString());
            Assert.Equal(e.MatrixValues.OrderBy(v => v.Key).Select(v => $"{v.Key}={v.Value}:{v.Value.GetType().Name}"), a.MatrixValues.OrderBy(v => v.Key).Select(v => $"{v.Key}={v.Value}:{v.Value.GetType().Name}"));
        }
        foreach (var (name, d) in expected.Datasets)
            Assert.Equal((d.Kind, d.Path, d.Parameters.ToString(), d.Location, string.Join(",", d.ClassNames ?? [])),
                (actual.Datasets[name].Kind, actual.Datasets[name].Path, actual.Datasets[name].Parameters.ToString(), actual.Datasets[name].Location, string.Join(",", actual.Datasets[name].ClassNames ?? [])));
        Assert.Equal(expected.Models.Select(m => $"{m.Key}:{m.Value.Architecture}:{m.Value.Parameters}"), actual.Models.Select(m => $"{m.Key}:{m.Value.Architecture}:{m.Value.Parameters}"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_shipped_pipeline_reads_back_to_the_same_definitions(string file)
    {
        var loaded = TestPipelines.Load(File.ReadAllText(Path.Combine(RepoFiles.Root, "pipelines", file)), Path.Combine(RepoFiles.Root, "pipelines", file));

        var json = ResolvedPipelineJson.Write(loaded);
        var read = ResolvedPipelineJson.Read(json, StageKindRegistry.Catalogue);

        AssertSame(loaded, read);
        Assert.Equal(json, ResolvedPipelineJson.Write(read));
    }

    [Fact]
    public void Integers_and_reals_keep_their_types_and_resources_their_values()
    {
        var loaded = TestPipelines.Load(TestPipelines.Header.Replace("seed: 7\n", "seed: 7\nresources: { memory: 8G }\n") + """
              teacher: { kind: train, dataset: fm, model: net, lr: 1, epochs: 3, alpha: 0.0, resources: { cpus: 4, sbatch-flags: "--exclusive" } }
            """);
        var read = ResolvedPipelineJson.Read(ResolvedPipelineJson.Write(loaded), StageKindRegistry.Catalogue);

        var parameters = read.Stage("teacher").Parameters;
        Assert.IsType<double>(parameters["lr"]);
        Assert.IsType<int>(parameters["epochs"]);
        Assert.Equal(new StageResources(4, SbatchFlags: "--exclusive"), read.Stage("teacher").Resources);
        Assert.Equal("8G", read.Resources.Memory);
        AssertSame(loaded, read);
    }
}
