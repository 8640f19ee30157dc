using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`reviewkd`: knowledge review (Chen et al. 2021), the student's levels fused deepest first and matched to the teacher's.</summary>
public sealed class ReviewKdMethod() : RepresentationMethod<ReviewKdParameters>("reviewkd", revision: 1,
    "ReviewKD (Chen et al. 2021): the student's `points` and its embedding, from the deepest level up, each passed through an attention-based fusion with the level below (1x1 convolution and batch norm, attention of the two maps, 3x3 convolution and batch norm to the teacher's channels), compared with the teacher's pre-activation maps at the same points and its embedding by the hierarchical context loss (mean squared error at full size and pooled to 4, 2 and 1 pixels); ramped in over `warmup-epochs`; weight times that, plus ce-weight CE and kd-weight KD. The fusions train with the student and are checkpointed. Needs a live teacher whose points have pre-activation maps (resnet, resnet-x4, vgg), or `teacher-pre-activation: false`.")
{
    protected override IRepresentationTerm Term(ReviewKdParameters p) => new KnowledgeReviewTerm(p.Points, p.TeacherPreActivation, p.WarmupEpochs);
}

/// <summary>`loss: { name: reviewkd, ... }`: the authors' CIFAR-100 train.py defaults (weight 1, warm-up 20 epochs); their script sets the weight per pair.</summary>
public sealed record ReviewKdParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the review term (the authors' script: 0.6 for resnet56 -> resnet20, 5 for resnet32x4 -> resnet8x4 and wrn-40-2 -> wrn-16-2).", Min = 0)] double Weight = 1,
    [Key("points", "The student's stage outputs reviewed, shallowest first; the embedding is always the deepest level (theirs: the three stages of a ResNet, stages 2 to 5 of a VGG).", Values = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5"], DefaultValues = ["stage1", "stage2", "stage3"], MinItems = 1)]
    IReadOnlyList<string> Points = null!,
    [Key("teacher-pre-activation", "Compare with the teacher's maps before their last ReLU (`stage2-preact`), as published; false reads its stage outputs (a wide ResNet, whose stage outputs precede the next block's batch norm and ReLU).")]
    bool TeacherPreActivation = true,
    [Key("warmup-epochs", "Epochs over which the review term's weight rises linearly from 0 (min(1, epoch / warmup-epochs), epochs from 0).", Min = 1)]
    int WarmupEpochs = 20) : IRepresentationParameters;
