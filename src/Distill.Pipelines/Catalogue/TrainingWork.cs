namespace Distill.Pipelines.Catalogue;

/// <summary>
/// What a stage's keys ask of the networks, for duration estimates (<see cref="StageKindSpec.Work"/>): training epochs,
/// how many of them evaluate the held-out splits, forward passes per epoch beyond training and evaluation (a probe),
/// and whether a teacher runs beside the student.
/// </summary>
public sealed record TrainingWork(int Epochs, int Evaluations, double ExtraPassesPerEpoch = 0, bool LiveTeacher = false)
{
    /// <summary>A kind that declares no work (a cache): one pass over the training split and one evaluation.</summary>
    public static readonly TrainingWork OnePass = new(1, 1);
}
