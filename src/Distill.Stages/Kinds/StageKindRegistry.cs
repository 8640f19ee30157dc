using Distill.Pipelines.Catalogue;
using Distill.Stages.Datasets;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Calibrate;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.ImportLogits;
using Distill.Stages.Kinds.Project;
using Distill.Stages.Kinds.Report;
using Distill.Stages.Kinds.Train;
using Distill.Stages.Models;
using Distill.Stages.Reporting;

namespace Distill.Stages.Kinds;

/// <summary>
/// The stage kinds, dataset kinds and architectures of this build: one line each (in the order the docs and the report's sections list them), the
/// one place a new kind is registered. Validation reads <see cref="Catalogue"/>; the engine reads the executors.
/// </summary>
public static class StageKindRegistry
{
    public static IReadOnlyList<StageKind> Kinds { get; } =
    [
        new TrainKind(),
        new DistillKind(),
        new CacheLogitsKind(),
        new ImportLogitsKind(),
        new CalibrateKind(),
        new ProjectKind(),
        new ReportKind(),
    ];

    /// <summary>The dataset kinds, one line each (the order the docs list them).</summary>
    public static IReadOnlyList<DatasetKind> Datasets { get; } =
    [
        new FashionMnistKind(),
        new Cifar10Kind(),
        new Cifar100Kind(),
        new ImageFolderKind(),
    ];

    /// <summary>The architectures, one line each.</summary>
    public static IReadOnlyList<Architecture> Architectures { get; } =
    [
        new ResNetArchitecture(),
        new AlexNetArchitecture(),
        new WideResNetArchitecture(),
        new ResNetX4Architecture(),
        new VggArchitecture(),
        new TorchScriptArchitecture(),
    ];

    public static StageCatalogue Catalogue { get; } = new(Kinds, Datasets, Architectures, Learning.Platform.KernelRevisions.All);

    /// <summary>Keys several kinds share, documented once in pipelines/README.md.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<ParameterSpec>> KeyGroups { get; } =
        new Dictionary<string, IReadOnlyList<ParameterSpec>> { ["training"] = ParameterRecords.Specs<Shared.TrainingParameters>() };

    /// <summary>The studies a report runs when their results are present.</summary>
    public static IReadOnlyList<IReportStudy> Studies { get; } = [new Paper.PaperStudy(), new Compatibility.CompatibilityStudy()];

    public static IReadOnlyList<IStageExecutor> Executors() => Kinds.Select(k => k.CreateExecutor()).ToList();

    /// <summary>The report's sections, in reading order (<see cref="StageKind.ReportOrder"/>).</summary>
    public static IReadOnlyList<IStageReportSection> ReportSections() =>
        Kinds.OrderBy(k => k.ReportOrder).Select(k => k.CreateReportSection()).OfType<IStageReportSection>().ToList();
}
