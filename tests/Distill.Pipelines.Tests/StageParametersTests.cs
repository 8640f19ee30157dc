using Distill.Pipelines.Catalogue;
using Distill.Stages.Datasets;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Report;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Models;

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
        var p = ParameterRecords.Read<TrainParameters>(Pipeline.Stage("teacher").Parameters);

        Assert.Equal((0.1, 0.05, 128, TrainingSchedule.Multistep, 5), (p.Alpha, p.Training.LearningRate, p.Training.BatchSize, p.Training.Schedule, p.Training.Epochs));
        Assert.Equal([0.5, 0.75], p.Training.Milestones);
        Assert.True(p.TensorBoard);
        Assert.True(p.MutualInformation.Enabled);
        Assert.Equal(2, p.MutualInformation.Classes.Count);
        Assert.Null(p.Weights);
    }

    [Fact]
    public void Distill_parameters_carry_their_loss_and_its_own_keys()
    {
        var p = ParameterRecords.Read<DistillParameters>(Pipeline.Stage("student").Parameters);

        Assert.Equal((4.0, 1.0, false, false, 1), (p.Temperature, p.Beta, p.TSquared, p.LiveTeacher, p.Views));
        Assert.Equal("dkd", p.Loss.Name);
        Assert.Equal(new DkdParameters(1.0, 2.0, 1.0), ParameterRecords.Read<DkdParameters>(p.Loss.Keys));
    }

    [Fact]
    public void The_other_kinds_read_their_keys()
    {
        Assert.Equal(["train", "validation", "test"], ParameterRecords.Read<CacheLogitsParameters>(Pipeline.Stage("cache").Parameters).Splits);
        Assert.Equal(new CalibrateParameters(10, "validation", "test"), ParameterRecords.Read<CalibrateParameters>(Pipeline.Stage("calibration").Parameters));
        Assert.Null(ParameterRecords.Read<ReportParameters>(Pipeline.Stage("report").Parameters).Title);
    }

    [Fact]
    public void Models_and_datasets_read_their_own_records()
    {
        Assert.Equal(new ResNetParameters(20, 16), ParameterRecords.Read<ResNetParameters>(Pipeline.Models["res"].Parameters));
        var fm = ParameterRecords.Read<FashionMnistParameters>(Pipeline.Datasets["fm"].Parameters);
        Assert.Equal((1000, 4, true), (fm.Splits.Validation, fm.Splits.Augmentation.CropPadding, fm.Splits.Augmentation.Flip));
        Assert.Null(fm.Splits.Subset);
    }

    [Fact]
    public void An_alexnet_has_no_resnet_keys()
    {
        var alexnet = StageKindRegistry.Catalogue.FindArchitecture(AlexNetArchitecture.Name)!;

        Assert.Equal(["architecture"], alexnet.Parameters.Select(p => p.Name));
        Assert.Equal(["architecture"], Pipeline.Models["net"].Parameters.Keys);
        var errors = TestPipelines.Errors(TestPipelines.Header.Replace("{ architecture: alexnet }", "{ architecture: alexnet, depth: 20 }") + "  t: { kind: train, dataset: fm, model: net }\n");
        Assert.Contains(errors, e => e.Message == "key 'depth' does not apply to alexnet model 'net'");
    }

    [Fact]
    public void A_wide_resnet_takes_its_own_keys_and_rule()
    {
        var header = TestPipelines.Header.Replace("  res: { architecture: resnet, depth: 20 }", "  res: { architecture: resnet, depth: 20 }\n  wide: { architecture: wrn, depth: 40 }");
        var pipeline = TestPipelines.Load(header + "  t: { kind: train, dataset: fm, model: wide }\n");
        Assert.Equal(new WideResNetParameters(40, 2), ParameterRecords.Read<WideResNetParameters>(pipeline.Models["wide"].Parameters));

        var errors = TestPipelines.Errors(header.Replace("depth: 40", "depth: 12, width: 4") + "  t: { kind: train, dataset: fm, model: wide }\n");
        Assert.Contains(errors, e => e.Message == "depth must be 6n+4 (10, 16, 22, 28, 40 ...), got 12");
        Assert.Contains(errors, e => e.Message == "key 'width' does not apply to wrn model 'wide'");
    }
}
