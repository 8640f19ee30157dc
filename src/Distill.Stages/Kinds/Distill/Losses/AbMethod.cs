using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`ab`: distillation of activation boundaries (Heo et al. 2019), the student's pre-activations pushed past the teacher's boundaries.</summary>
public sealed class AbMethod() : RepresentationMethod<AbParameters>("ab", revision: 1,
    "AB (Heo et al. 2019): at each of `points`, the student's map before its last ReLU (through a convolution and batch norm where the two maps differ) pushed by `margin` to the side of zero the teacher's neuron is on: (s + margin)^2 where the teacher's is off and the student's above -margin, (s - margin)^2 where the teacher's is on and the student's below margin; summed, per example, the deeper stages weighed more (1/4, 1/2, 1), times 3/1000; weight times that, plus ce-weight CE and kd-weight KD. As published it is a first stage alone (`ce-weight: 0`, 30 epochs in RepDistiller), then cross-entropy from its weights (a kd stage with `beta: 0` and `inputs.init`). The connectors train with the student and are checkpointed. Needs a live teacher and both models with pre-activation maps (resnet, resnet-x4, vgg).")
{
    protected override IRepresentationTerm Term(AbParameters p) => new ActivationBoundaryTerm(p.Points, p.Margin);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        ActivationBoundaryTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: ab, ... }`: RepDistiller's ABLoss (margin 1, its feat[1:-1] with preact) in its init stage.</summary>
public sealed record AbParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the boundary term.", Min = 0)] double Weight = 1,
    [Key("margin", "How far past zero the student's pre-activation is pushed, on the teacher's side.", Min = 0, ExclusiveMin = true)] double Margin = 1,
    [Key("points", "The stages whose maps before their last ReLU are compared, shallowest first (theirs: a ResNet's three, a VGG's stages 2 to 5).", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
