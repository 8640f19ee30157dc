using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`ofd`: a comprehensive overhaul of feature distillation (Heo et al. 2019), pre-activation maps by a margin-aware distance.</summary>
public sealed class OfdMethod() : RepresentationMethod<OfdParameters>("ofd", revision: 1,
    "OFD (Heo et al. 2019): at each of `points`, the student's map before its last ReLU through a connector (1x1 convolution and batch norm to the teacher's channels) against the teacher's map before its ReLU, pooled to the student's size, by the partial L2 distance (no penalty where both lie below the teacher's margin, the expected negative output of its batch norm per channel), summed over channels and positions, the deeper stages weighed more (1/4, 1/2, 1); weight times that, plus ce-weight CE and kd-weight KD. The connectors train with the student and are checkpointed. Needs a live teacher and both models with pre-activation maps (resnet, resnet-x4, vgg).")
{
    protected override IRepresentationTerm Term(OfdParameters p) => new OverhaulTerm(p.Points);
}

/// <summary>`loss: { name: ofd, ... }`: mdistiller's CIFAR-100 OFD config (feature weight 0.001, CE 1, 1x1 connectors, its preact_feats[1:]).</summary>
public sealed record OfdParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the distance term (mdistiller: 0.001, a sum over every channel and position).", Min = 0)] double Weight = 0.001,
    [Key("points", "The stages whose maps before their last ReLU are compared, shallowest first (theirs: a ResNet's three, a VGG's stages 2 to 5).", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!) : IRepresentationParameters;
