namespace Distill.Learning.Training;

/// <summary>
/// The learning rate as a pure function of (epoch, step): nothing to save in a checkpoint, and a
/// resumed run follows exactly the same schedule.
/// </summary>
public sealed class LearningRateSchedule(
    ScheduleKind kind, double baseRate, IReadOnlyList<double> milestones, double decay, int epochs, int stepsPerEpoch)
{
    public double At(int epoch, int step)
    {
        switch (kind)
        {
            case ScheduleKind.Constant:
                return baseRate;
            case ScheduleKind.Cosine:
                double total = (double)epochs * stepsPerEpoch;
                double done = (double)epoch * stepsPerEpoch + step;
                return 0.5 * baseRate * (1 + Math.Cos(Math.PI * done / total));
            default:
                // Milestones are fractions of training, applied at epoch boundaries (epoch 100 of 200 for 0.5).
                int passed = milestones.Count(m => epoch >= (int)Math.Round(m * epochs));
                return baseRate * Math.Pow(decay, passed);
        }
    }
}
