using Distill.Learning.Data;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;

namespace Distill.Stages.Datasets;

/// <summary>
/// A dataset kind a pipeline's `datasets:` entry can name: its catalogue entry (keys read from its parameter record,
/// the split keys every kind shares inlined) and the reader it opens. A new kind is one such class, its reader in
/// Distill.Learning (an <see cref="IImageDataset"/>) and one line in <see cref="Kinds.StageKindRegistry.Datasets"/>.
/// </summary>
public abstract class DatasetKind : IDatasetKind
{
    public abstract DatasetKindSpec Spec { get; }

    /// <summary>The reader of a dataset entry (its path already absolute).</summary>
    public abstract IImageDataset Open(DatasetDefinition definition);

    /// <summary>The keys every kind shares: validation split, subset and augmentation.</summary>
    public abstract DatasetSplitParameters Splits(ParameterSet keys);

    /// <summary>Channels, height and width of the images the kind delivers (what the models see).</summary>
    public abstract (int Channels, int Height, int Width) ImageShape(ParameterSet keys);
}

/// <summary>A dataset kind whose keys are the record <typeparamref name="TParameters"/>.</summary>
public abstract class DatasetKind<TParameters> : DatasetKind where TParameters : IDatasetParameters
{
    /// <param name="revision">The implementation revision of the reader and its augmentation (<see cref="DatasetKindSpec.Revision"/>).</param>
    protected DatasetKind(string name, int revision, string description, int? trainSize = null, int? testSize = null) =>
        Spec = new(name, description, ParameterRecords.Specs<TParameters>(), trainSize, testSize,
            keys => ClassNames(ParameterRecords.Read<TParameters>(keys))) { Revision = revision };

    public override DatasetKindSpec Spec { get; }

    public sealed override IImageDataset Open(DatasetDefinition definition) =>
        Open(definition.Path, ParameterRecords.Read<TParameters>(definition.Parameters));

    public sealed override DatasetSplitParameters Splits(ParameterSet keys) => ParameterRecords.Read<TParameters>(keys).Splits;

    public sealed override (int Channels, int Height, int Width) ImageShape(ParameterSet keys) => ImageShape(ParameterRecords.Read<TParameters>(keys));

    protected abstract (int Channels, int Height, int Width) ImageShape(TParameters p);

    /// <summary>The class names when the kind fixes them (null when the data names them, as image folders do).</summary>
    protected abstract IReadOnlyList<string>? ClassNames(TParameters p);

    protected abstract IImageDataset Open(string path, TParameters p);
}

/// <summary>A dataset kind's record: its own keys and the shared split keys.</summary>
public interface IDatasetParameters
{
    DatasetSplitParameters Splits { get; }
}

/// <summary>How <c>subset</c> picks its examples.</summary>
public enum SubsetDraw { FirstPerClass, Stratified }

/// <summary>`subset:` of a dataset.</summary>
public sealed record SubsetParameters(
    [Key("train", "Total training examples kept (after the validation split is carved off); absent: all.", Min = 1, Checked = "at most what is left after validation")] int? Train = null,
    [Key("test", "Total test examples kept; absent: all.", Min = 1, Checked = "at most the test split")] int? Test = null,
    [Key("mode", "first-per-class: the first examples of each class in file order; stratified: a seeded draw keeping class proportions.")]
    SubsetDraw Mode = SubsetDraw.FirstPerClass);

/// <summary>`augmentation:` of a dataset.</summary>
public sealed record AugmentationParameters(
    [Key("crop-padding", "Zero padding before the random crop back to the input size; 0 turns cropping off.", Min = 0)] int CropPadding = 4,
    [Key("flip", "Random horizontal flip.")] bool Flip = true)
{
    public AugmentationSpec ToSpec() => new(CropPadding, Flip);
}

/// <summary>The keys every dataset kind shares.</summary>
public sealed record DatasetSplitParameters(
    [Key("validation", "Training examples carved off (deterministically, from the seed) into a validation split.", Min = 0, Checked = "less than the training split")] int Validation = 0,
    [Key("subset", "Use only part of the data (quick runs); absent means all of it.")] SubsetParameters? Subset = null,
    [Key("augmentation", "Training-time augmentation; per-channel standardisation is always on.")] AugmentationParameters Augmentation = null!,
    [Key("standardisation", "Fixed per-channel standardisation, (x - mean) / std on pixels scaled to [0, 1], for a model trained elsewhere with these constants (RepDistiller's and mdistiller's CIFAR-100: mean [0.5071, 0.4867, 0.4408], std [0.2675, 0.2565, 0.2761]); absent: the training split's own mean and std.")]
    StandardisationParameters? Standardisation = null)
{
    public SplitOptions ToOptions(int seed) => new()
    {
        ValidationSize = Validation,
        TrainSubset = Subset?.Train,
        TestSubset = Subset?.Test,
        SubsetMode = Subset?.Mode == SubsetDraw.Stratified ? SubsetMode.Stratified : SubsetMode.FirstPerClass,
        Seed = seed,
        Standardisation = Standardisation?.ToStatistics(),
    };
}

/// <summary>`standardisation:` of a dataset: fixed per-channel constants instead of the training split's.</summary>
public sealed record StandardisationParameters(
    [Key("mean", "Per-channel means, one per image channel.")] IReadOnlyList<double>? Mean = null,
    [Key("std", "Per-channel standard deviations, one per image channel.", Min = 0, ExclusiveMin = true)] IReadOnlyList<double>? Std = null)
{
    /// <summary>What is wrong with them for images of <paramref name="channels"/> channels; null when nothing is.</summary>
    public string? Problem(int channels) =>
        Mean is null || Std is null ? "standardisation needs both mean and std"
        : Mean.Count != channels || Std.Count != channels
            ? $"standardisation gives {Mean.Count} means and {Std.Count} standard deviations; the images have {channels} channels"
            : null;

    public ChannelStatistics ToStatistics() =>
        new([.. Mean!.Select(m => (float)m)], [.. Std!.Select(s => (float)s)]) { Given = true };
}
