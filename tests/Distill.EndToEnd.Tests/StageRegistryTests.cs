using Distill.Cli.Commands;
using Distill.Pipelines.Catalogue;

namespace Distill.EndToEnd.Tests;

/// <summary>Adding a stage kind means a catalogue spec and one executor that declares it: nothing else to wire.</summary>
public sealed class StageRegistryTests
{
    [Fact]
    public void Every_catalogue_kind_has_exactly_one_executor()
    {
        var declared = StageRegistry.Executors().Select(e => e.Spec.Name).ToList();

        Assert.Equal(declared.Distinct().Count(), declared.Count);
        Assert.Equal(StageKinds.All.Select(k => k.Name).Order(), declared.Order());
    }

    [Fact]
    public void Executors_declare_the_catalogue_entry_itself()
    {
        foreach (var executor in StageRegistry.Executors())
            Assert.Same(StageKinds.All.Single(k => k.Name == executor.Spec.Name), executor.Spec);
    }
}
