using Distill.Learning.Randomness;

namespace Distill.Learning.Training;

/// <summary>
/// CRD's negatives as its published CIFAR runs draw them (RepDistiller's 'exact' mode): for each example, K examples
/// of the other classes, uniformly, without replacement unless K exceeds their number. The draws are a pure function
/// of (seed, epoch, example), so a resumed run and a run on another machine draw the same negatives.
/// </summary>
public sealed class ContrastNegatives
{
    private readonly long[] _byClass;
    private readonly Dictionary<long, (int Start, int Count)> _classes;
    private readonly long[] _labels;
    private readonly long _seed;

    public ContrastNegatives(IReadOnlyList<long> labels, int count, long seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "at least one negative per example");
        _labels = [.. labels];
        _seed = seed;
        Count = count;
        // Examples sorted by class: the other classes' examples of class c are this array without c's block.
        var order = Enumerable.Range(0, _labels.Length).OrderBy(i => _labels[i]).ThenBy(i => i).Select(i => (long)i).ToArray();
        _byClass = order;
        _classes = [];
        for (int i = 0; i < order.Length; i++)
        {
            long label = _labels[order[i]];
            _classes[label] = _classes.TryGetValue(label, out var block) ? (block.Start, block.Count + 1) : (i, 1);
        }
        if (_classes.Count < 2) throw new ArgumentException("contrastive negatives need examples of at least two classes", nameof(labels));
    }

    /// <summary>Negatives per example (K).</summary>
    public int Count { get; }

    /// <summary>Examples in the training split (N, the memory's rows).</summary>
    public int Examples => _labels.Length;

    /// <summary>For each example: itself at column 0, then its K negatives; row-major B x (K + 1), as CRD's memory indexes it.</summary>
    public long[] Draw(ReadOnlySpan<long> examples, int epoch)
    {
        int width = Count + 1;
        var drawn = new long[examples.Length * width];
        var items = examples.ToArray();
        Parallel.For(0, items.Length, b => DrawOne(items[b], epoch, drawn.AsSpan(b * width, width)));
        return drawn;
    }

    private void DrawOne(long example, int epoch, Span<long> into)
    {
        into[0] = example;
        var (start, own) = _classes[_labels[example]];
        int others = _labels.Length - own;
        ulong hash = DeterministicRandom.Hash(_seed, epoch, example);
        // Position p among the other classes' examples, skipping the example's own class block.
        long Other(int p) => _byClass[p < start ? p : p + own];
        if (Count > others)
        {
            for (int k = 0; k < Count; k++) into[k + 1] = Other(DeterministicRandom.NextInt(DeterministicRandom.Hash((long)hash, k), others));
            return;
        }
        // Fisher-Yates over the positions, stopped after K swaps; the swapped-out positions kept sparsely.
        var moved = new Dictionary<int, int>(Count);
        for (int k = 0; k < Count; k++)
        {
            int j = k + DeterministicRandom.NextInt(DeterministicRandom.Hash((long)hash, k), others - k);
            int atJ = moved.TryGetValue(j, out var mj) ? mj : j;
            moved[j] = moved.TryGetValue(k, out var mk) ? mk : k;
            into[k + 1] = Other(atJ);
        }
    }
}
