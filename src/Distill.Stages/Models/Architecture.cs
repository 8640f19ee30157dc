using Distill.Learning.Models;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Models;

/// <summary>
/// An architecture a pipeline's `models:` entry can name: its catalogue entry (keys read from its parameter record)
/// and the network it builds. A new architecture is one such class, its network in Distill.Learning, one line in
/// <see cref="Kinds.StageKindRegistry.Architectures"/> and its PyTorch twin in tools/pytorch-reference/distill_models.py.
/// </summary>
public abstract class Architecture : IArchitecture
{
    public abstract ArchitectureSpec Spec { get; }

    /// <summary>The network for images of this shape, from the model entry's resolved keys.</summary>
    public abstract ClassifierNet Create(ParameterSet keys, int inputChannels, int height, int width, int classes);

    /// <summary>Multiply-adds of one forward pass of one image (convolutions and linear layers, approximately): the model's share of a stage's work.</summary>
    public abstract double ForwardMacs(ParameterSet keys, int inputChannels, int height, int width);
}

/// <summary>An architecture whose keys are the record <typeparamref name="TParameters"/>.</summary>
/// <param name="revision">The implementation revision of the network's code (<see cref="ArchitectureSpec.Revision"/>).</param>
public abstract class Architecture<TParameters>(string name, int revision, string description) : Architecture
{
    public override ArchitectureSpec Spec { get; } = new(name, description, ParameterRecords.Specs<TParameters>()) { Revision = revision };

    public sealed override ClassifierNet Create(ParameterSet keys, int inputChannels, int height, int width, int classes) =>
        Create(ParameterRecords.Read<TParameters>(keys), inputChannels, height, width, classes);

    protected abstract ClassifierNet Create(TParameters p, int inputChannels, int height, int width, int classes);

    public sealed override double ForwardMacs(ParameterSet keys, int inputChannels, int height, int width) =>
        ForwardMacs(ParameterRecords.Read<TParameters>(keys), inputChannels, height, width);

    protected abstract double ForwardMacs(TParameters p, int inputChannels, int height, int width);
}

/// <summary>A pipeline's model entry, resolved: the architecture and its keys.</summary>
public sealed record ModelSpec(Architecture Architecture, ParameterSet Keys)
{
    public ClassifierNet Create(int inputChannels, int height, int width, int classes) =>
        Architecture.Create(Keys, inputChannels, height, width, classes);

    /// <summary>The model entry <paramref name="name"/> of the pipeline, with the architecture its catalogue knows.</summary>
    public static ModelSpec Of(PipelineDefinition pipeline, string name)
    {
        var model = pipeline.Models[name];
        var architecture = pipeline.Catalogue.Architecture(model.Architecture) as Architecture
            ?? throw new InvalidOperationException($"architecture '{model.Architecture}' has no network in this build");
        return new ModelSpec(architecture, model.Parameters);
    }
}
