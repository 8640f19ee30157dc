using Distill.Pipelines;
using Distill.Stages.Datasets;

namespace Distill.Stages.Models;

/// <summary>
/// Each model entry's parameter count on the data its stages feed it (channels and classes change it), counted on the
/// network Distill builds, so that a user can check a model against the paper that published it.
/// </summary>
public static class ModelSizes
{
    /// <summary>A model entry built for one dataset: its trainable parameters.</summary>
    public sealed record Size(string Model, string Dataset, long Parameters);

    /// <summary>Every (model, dataset) pair a stage uses, in stage order; none where the data names its classes (image folders).</summary>
    public static IReadOnlyList<Size> Of(PipelineDefinition pipeline)
    {
        var sizes = new List<Size>();
        foreach (var (model, datasetName) in pipeline.Stages.Where(s => s.Model is not null && s.Dataset is not null)
                     .Select(s => (s.Model!, s.Dataset!)).Distinct())
        {
            var dataset = pipeline.Datasets[datasetName];
            if (dataset.ClassNames is not { Count: > 0 } classes || pipeline.Catalogue.DatasetKind(dataset.Kind) is not DatasetKind kind
                || pipeline.Models[model].Architecture == TorchScriptArchitecture.Name) continue; // a TorchScript file is known only when imported
            var (channels, height, width) = kind.ImageShape(dataset.Parameters);
            using var net = ModelSpec.Of(pipeline, model).Create(channels, height, width, classes.Count);
            sizes.Add(new Size(model, datasetName, net.ParameterCount()));
        }
        return sizes;
    }
}
