using Distill.Learning.Training;

namespace Distill.Learning.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void MultiStepDividesAtFractionsOfTraining()
    {
        var schedule = new LearningRateSchedule(ScheduleKind.MultiStep, 0.1, [0.5, 0.75], 0.1, epochs: 200, stepsPerEpoch: 10);
        Assert.Equal(0.1, schedule.At(99, 9), 12);
        Assert.Equal(0.01, schedule.At(100, 0), 12);
        Assert.Equal(0.001, schedule.At(150, 0), 12);
    }

    [Fact]
    public void CosineFallsFromBaseToZero()
    {
        var schedule = new LearningRateSchedule(ScheduleKind.Cosine, 0.2, [], 0.1, epochs: 4, stepsPerEpoch: 5);
        Assert.Equal(0.2, schedule.At(0, 0), 12);
        Assert.Equal(0.1, schedule.At(2, 0), 12);
        Assert.True(schedule.At(3, 4) < 0.01);
    }
}
