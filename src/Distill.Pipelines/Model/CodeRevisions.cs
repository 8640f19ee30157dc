using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines;

/// <summary>
/// The code a stage's bits depend on, each piece with its implementation revision: the stage kind, the dataset
/// reader, the architecture, each choice of a variant key (the distillation loss) and, for kinds that run networks,
/// the kernels and the LibTorch build. Written into the stage's canonical definition, so it is part of the key:
/// bumping a revision re-keys exactly the stages that use the code, and those downstream of them.
/// </summary>
public static class CodeRevisions
{
    public static SortedDictionary<string, object> Of(StageDefinition stage, PipelineDefinition pipeline)
    {
        var catalogue = pipeline.Catalogue;
        var kind = catalogue.Find(stage.Kind) ?? throw new InvalidOperationException($"unknown stage kind '{stage.Kind}'");
        var code = new SortedDictionary<string, object>(StringComparer.Ordinal) { [$"kind/{kind.Name}"] = kind.Revision };
        if (stage.Dataset is { } dataset && catalogue.FindDataset(pipeline.Datasets[dataset].Kind) is { } reader)
            code[$"dataset/{reader.Name}"] = reader.Revision;
        if (stage.Model is { } model && catalogue.FindArchitecture(pipeline.Models[model].Architecture) is { } architecture)
            code[$"architecture/{architecture.Name}"] = architecture.Revision;
        foreach (var spec in kind.Parameters.Where(p => p.Type == ParameterType.Variant))
            if (stage.Parameters.TryGetMap(spec.Name) is { } chosen
                && spec.Variants.FirstOrDefault(v => v.Name == chosen.TryGetString("name")) is { } variant)
                code[$"{spec.Name}/{variant.Name}"] = variant.Revision;
        if (kind.RunsNetworks)
            foreach (var (name, revision) in catalogue.Kernels) code[name] = revision;
        return code;
    }
}
