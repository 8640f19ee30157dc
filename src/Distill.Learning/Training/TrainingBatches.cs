using Distill.Learning.Data;
using Distill.Learning.Randomness;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// One training batch. Rows identify each example's row in a logit cache (view * examples + index);
/// without views they equal the example indices. The epoch lets a loss that draws randomness per example (CRD's
/// negatives) draw it as a pure function of (epoch, example), so a resumed run draws the same.
/// </summary>
public sealed record TrainingBatch(Tensor Inputs, Tensor Labels, long[] Rows, int Epoch = 0);

/// <summary>Where a trainer's batches come from; a batch is a pure function of (indices, epoch).</summary>
public interface ITrainingBatches
{
    /// <summary>Examples in the training split.</summary>
    int Count { get; }

    TrainingBatch Make(ReadOnlySpan<long> indices, int epoch);
}

/// <summary>The usual scheme: every epoch draws a fresh augmentation of each example (stream = epoch).</summary>
public sealed class AugmentedBatches(BatchMaker maker, AugmentationSpec augmentation, long seed) : ITrainingBatches
{
    public int Count => maker.Images.Count;

    public TrainingBatch Make(ReadOnlySpan<long> indices, int epoch)
    {
        var (inputs, labels) = maker.Make(indices, augmentation, seed, epoch);
        return new TrainingBatch(inputs, labels, indices.ToArray(), epoch);
    }
}

/// <summary>
/// Replays fixed augmented views (as cached with a teacher's logits): at each epoch example i is shown
/// as view v = choice(seed, epoch, i) of V, where view 0 is the plain image and view v > 0 the
/// augmentation drawn from (view seed, i, v). The teacher's logits for that exact input are cache row
/// v * Count + i, so a cached and a live teacher see identical inputs.
/// </summary>
public sealed class ViewReplayBatches(BatchMaker maker, AugmentationSpec augmentation, long viewSeed, int views, long choiceSeed) : ITrainingBatches
{
    public int Count => maker.Images.Count;

    public static int ViewOf(long choiceSeed, int epoch, long index, int views) =>
        views == 1 ? 0 : DeterministicRandom.NextInt(DeterministicRandom.Hash(choiceSeed, epoch, index), views);

    public TrainingBatch Make(ReadOnlySpan<long> indices, int epoch)
    {
        var viewOf = new long[indices.Length];
        var rows = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            viewOf[i] = ViewOf(choiceSeed, epoch, indices[i], views);
            rows[i] = viewOf[i] * Count + indices[i];
        }
        var (inputs, labels) = maker.MakeViews(indices, augmentation, viewSeed, viewOf);
        return new TrainingBatch(inputs, labels, rows, epoch);
    }
}
