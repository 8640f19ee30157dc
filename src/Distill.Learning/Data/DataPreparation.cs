using Distill.Learning.Randomness;

namespace Distill.Learning.Data;

/// <summary>How to pick a small subset of a split for quick runs.</summary>
public enum SubsetMode
{
    /// <summary>The first N / K examples of each class, in file order.</summary>
    FirstPerClass,

    /// <summary>N / K examples of each class drawn at random (seeded).</summary>
    Stratified,
}

/// <summary>How the published splits become train / validation / test.</summary>
public sealed record SplitOptions
{
    /// <summary>Examples carved off the published training split for validation (0 = none).</summary>
    public int ValidationSize { get; init; }

    /// <summary>Total training examples to keep after the validation split (null = all).</summary>
    public int? TrainSubset { get; init; }

    /// <summary>Total test examples to keep (null = all).</summary>
    public int? TestSubset { get; init; }

    public SubsetMode SubsetMode { get; init; } = SubsetMode.FirstPerClass;

    /// <summary>Fixed standardisation (null: the training split's mean and std).</summary>
    public ChannelStatistics? Standardisation { get; init; }

    public long Seed { get; init; }
}

/// <summary>The three splits a stage works with, plus the training statistics for standardisation.</summary>
public sealed class PreparedData(LabeledImages train, LabeledImages validation, LabeledImages test, ChannelStatistics statistics) : IDisposable
{
    public LabeledImages Train { get; } = train;
    public LabeledImages Validation { get; } = validation;
    public LabeledImages Test { get; } = test;
    public ChannelStatistics Statistics { get; } = statistics;
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    public LabeledImages Get(DataSplit split) => split switch
    {
        DataSplit.Train => Train,
        DataSplit.Validation => Validation,
        _ => Test,
    };

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}

/// <summary>The splits a pipeline stage can name.</summary>
public enum DataSplit
{
    Train,
    Validation,
    Test,
}

/// <summary>Deterministic train/validation split and subset selection.</summary>
public static class DataPreparation
{
    public static PreparedData Prepare(IImageDataset dataset, SplitOptions options)
    {
        using var publishedTrain = dataset.Load(SourceSplit.Train);
        using var publishedTest = dataset.Load(SourceSplit.Test);
        return Prepare(publishedTrain, publishedTest, options);
    }

    public static PreparedData Prepare(LabeledImages publishedTrain, LabeledImages publishedTest, SplitOptions options)
    {
        if (options.ValidationSize < 0 || options.ValidationSize >= publishedTrain.Count)
            throw new DatasetException(
                $"validation size {options.ValidationSize} must be between 0 and {publishedTrain.Count - 1} (the training split holds {publishedTrain.Count} examples)");

        var order = DeterministicRandom.Permutation(publishedTrain.Count, options.Seed, DeterministicRandom.HashText("validation-split"));
        var validationIndices = order.Take(options.ValidationSize).Order().ToArray();
        var trainIndices = order.Skip(options.ValidationSize).Order().ToArray();

        var trainKept = ChooseSubset(trainIndices, publishedTrain.Labels, options.TrainSubset, options, "train");
        var testKept = ChooseSubset(
            Enumerable.Range(0, publishedTest.Count).Select(i => (long)i).ToArray(), publishedTest.Labels, options.TestSubset, options, "test");

        var train = publishedTrain.Select(trainKept);
        var validation = publishedTrain.Select(validationIndices);
        var test = publishedTest.Select(testKept);
        if (options.Standardisation is { } given && (given.Mean.Length != train.Channels || given.Std.Length != train.Channels))
            throw new DatasetException($"standardisation gives {given.Mean.Length} means and {given.Std.Length} standard deviations; the images have {train.Channels} channels");
        return new PreparedData(train, validation, test, options.Standardisation ?? ChannelStatistics.Compute(train.Images));
    }

    /// <summary>Picks `count` examples from `candidates`, an equal share per class (the remainder to the first classes).</summary>
    public static long[] ChooseSubset(long[] candidates, long[] labels, int? count, SplitOptions options, string purpose)
    {
        if (count is null || count.Value >= candidates.Length) return candidates;
        if (count.Value < 1) throw new DatasetException($"{purpose} subset must hold at least one example, got {count}");

        var byClass = candidates.GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        int classes = byClass.Length;
        var chosen = new List<long>(count.Value);
        for (int c = 0; c < classes; c++)
        {
            int share = count.Value / classes + (c < count.Value % classes ? 1 : 0);
            var members = byClass[c];
            if (options.SubsetMode == SubsetMode.Stratified)
            {
                var perm = DeterministicRandom.Permutation(members.Length, options.Seed, DeterministicRandom.HashText("subset-" + purpose), c);
                members = perm.Select(p => members[p]).ToArray();
            }
            chosen.AddRange(members.Take(share));
        }
        return chosen.Order().ToArray();
    }
}
