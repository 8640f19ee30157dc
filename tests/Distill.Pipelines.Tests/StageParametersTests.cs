using Distill.Pipelines.Catalogue;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Report;
using Distill.Stages.Kinds.ImportLogits;

namespace Distill.Pipelines.Tests;

/// <summary>Each kind's typed parameters read the resolved values, catalogue defaults included.</summary>
public sealed class StageParametersTests
{
    private static readonly PipelineDefinition Pipeline = TestPipelines.Load(TestPipelines.Header + """
          teacher: { kind: train, dataset: fm, model: res, alpha: 0.1, lr: 0.05, mutual-information: { enabled: true, classes: [0, 1] } }
          cache: { kind: cache-logits, inputs: { teacher: teacher }, splits: [train, validation, test] }
          calibration: { kind: calibrate, inputs: { logits: cache }, bins: 10 }
          student: { kind: distill, dataset: fm, model: net, temperature: 4, loss: { name: dkd, beta: 2 }, inputs: { teacher: cache } }
          report: { kind: report, inputs: { all: "*" } }
        """);

    [Fact]
    public void Train_parameters_carry_the_training_keys_and_the_probe()
    {
        var p = TrainParameters.From(Pipeline.Stage("teacher").Parameters);

        Assert.Equal((0.1, 0.05, 128, "multistep", 5), (p.Alpha, p.Training.LearningRate, p.Training.BatchSize, p.Training.Schedule, p.Training.Epochs));
        Assert.True(p.Training.TensorBoard);
        Assert.Equal(2, p.MutualInformation!.Classes.Count);
    }

    [Fact]
    public void Distill_parameters_carry_their_loss_and_its_own_keys()
    {
        var p = DistillParameters.From(Pipeline.Stage("student").Parameters);

        Assert.Equal((4.0, 1.0, false, false, 1), (p.Temperature, p.Beta, p.TSquared, p.LiveTeacher, p.Views));
        Assert.Equal(("dkd", 1.0, 2.0, 1.0), (p.Loss.Name, p.Loss.Keys.GetDouble("alpha"), p.Loss.Keys.GetDouble("beta"), p.Loss.Keys.GetDouble("ce-weight")));
    }

    [Fact]
    public void The_other_kinds_read_their_keys()
    {
        Assert.Equal(["train", "validation", "test"], CacheLogitsParameters.From(Pipeline.Stage("cache").Parameters).Splits);
        Assert.Equal(new CalibrateParameters(10, "validation", "test"), CalibrateParameters.From(Pipeline.Stage("calibration").Parameters));
        Assert.Null(ReportParameters.From(Pipeline.Stage("report").Parameters).Title);
        Assert.Equal(new ModelParameters("resnet", 20, 16), ModelParameters.From(Pipeline.Models["res"]));
        Assert.Equal(1000, DatasetParameters.From(Pipeline.Datasets["fm"].Parameters).Validation);
    }
}
