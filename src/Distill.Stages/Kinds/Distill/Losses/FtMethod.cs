using Distill.Learning.Training;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Kinds.Distill.Losses;

/// <summary>`ft`: factor transfer (Kim et al. 2018), a paraphraser trained on the teacher first, then a translator with the student.</summary>
public sealed class FtMethod() : RepresentationMethod<FtParameters>("ft", revision: 1,
    "FT (Kim et al. 2018): before the student's first step a paraphraser (three 3x3 convolutions to `rate` times the teacher's channels and three transposed ones back, leaky ReLUs) learns to reconstruct the teacher's map at `point` for `paraphraser-epochs` epochs (SGD at `paraphraser-learning-rate`, the stage's momentum and weight decay) and is frozen; then a translator (three 3x3 convolutions with batch norm) trains with the student, and the term is the mean absolute difference of the two factors, each example's channel mean of the squared factor map, L2-normalised (the larger map pooled to the smaller's size); weight times that, plus ce-weight CE and kd-weight KD. The paraphraser and translator are checkpointed, the paraphraser from its last epoch, so a resumed stage does not train it again. Needs a live teacher and square feature maps.")
{
    protected override IRepresentationTerm Term(FtParameters p) =>
        new FactorTransferTerm(p.Point, p.Rate, p.ParaphraserEpochs, p.ParaphraserLearningRate);

    public override string? ShapeProblem(string point, long[] student, long[] teacher) =>
        FactorTransferTerm.Problem(student, teacher) is { } problem ? $"'{point}': {problem}" : null;
}

/// <summary>`loss: { name: ft, ... }`: RepDistiller's published command (-b 200), its feat[-2], k 0.5 and its 30 init epochs.</summary>
public sealed record FtParameters(
    RepresentationWeights Weights,
    [Key("weight", "Weight of the factor term.", Min = 0)] double Weight = 200,
    [Key("point", "The map both factors come from (RepDistiller's feat[-2]: a ResNet's or WRN's stage3, a VGG's stage5).")] string Point = "stage3",
    [Key("rate", "The factor's channels as a share of the teacher's (RepDistiller's k).", Min = 0, ExclusiveMin = true, Max = 1)] double Rate = 0.5,
    [Key("paraphraser-epochs", "Epochs the paraphraser trains on the teacher's map before the student starts (RepDistiller's init_epochs).", Min = 0)] int ParaphraserEpochs = 30,
    [Key("paraphraser-learning-rate", "The paraphraser's constant learning rate (RepDistiller: 0.01 for ResNet and WRN students, the stage's own, 0.05, for VGG).", Min = 0, ExclusiveMin = true)] double ParaphraserLearningRate = 0.01)
    : IRepresentationParameters;
