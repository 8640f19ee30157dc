using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Distillation;
using Distill.Stages.Engine;
using Distill.Stages.Kinds.Distill;
using Distill.Stages.Kinds.Shared;
using Distill.Stages.Kinds.Train;

namespace Distill.Stages.Kinds.CacheLogits;

/// <summary>`cache-logits`: a trained model run over dataset splits and views, its logits stored as .npy files.</summary>
public sealed class CacheLogitsKind : StageKind, ILogitCacheKind
{
    public const string Name = "cache-logits";

    public static readonly StageKindSpec Definition = new(Name,
        "Runs a trained teacher over dataset splits and stores its logits.", StageReferences.None,
        ParameterRecords.Specs<CacheLogitsParameters>(),
        [new InputRoleSpec("teacher", "The train or distill stage whose model is run (a teacher, or a student to study).", [TrainKind.Name, DistillKind.Name], 1, 1, LeadsToModel: true)])
    {
        Revision = 1,
        Lineage = LineageRole.Derived,
        RunsNetworks = true,
    };

    public override StageKindSpec Spec => Definition;

    public override IStageExecutor CreateExecutor() => new CacheLogitsExecutor();

    public int CachedViews(ParameterSet parameters) => ParameterRecords.Read<CacheLogitsParameters>(parameters).Views;

    public string TeacherWeights(StageInputRef teacher) => TeacherModel.WeightsSha256(teacher);
}

/// <summary>`cache-logits` (see <see cref="CacheLogitsKind.Definition"/>).</summary>
public sealed record CacheLogitsParameters(
    [Key("splits", "Dataset splits to cache.", Values = ["train", "validation", "test"], MinItems = 1, DefaultValues = ["train", "validation", "test"])]
    IReadOnlyList<string> Splits = null!,
    [Key("views", TrainingParameters.ViewsDescription, Min = 1)] int Views = 1,
    [Key("embeddings", "Also store the model's penultimate embedding of every example and view (embeddings-<split>.npy, named and hashed in the sidecar), so that embedding methods (rkd, pkt, sp) train from the cache alone.", SeedOmitsDefault = true)]
    bool Embeddings = false,
    [Key("batch-size", "Mini-batch size for inference.", Min = 1, AffectsResult = false)] int BatchSize = 512);
