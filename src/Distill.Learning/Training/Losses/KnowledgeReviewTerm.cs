using Distill.Learning.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// ReviewKD (Chen, Liu, Zhao, Jia, "Distilling Knowledge via Knowledge Review", CVPR 2021), `loss: reviewkd`, as the
/// authors' CIFAR-100 code (dvlab-research/ReviewKD, model/reviewkd.py and train.py; mdistiller's ReviewKD is the same):
/// the student's stage outputs and its pooled embedding, from the deepest level to the first, each pass an
/// attention-based fusion (<see cref="AttentionFusion"/>) with the fused map of the level below, and each level's result
/// is compared with the teacher's map at that level (its pre-activation stage outputs and its pooled embedding) by the
/// hierarchical context loss: the mean squared error at full size and average-pooled to 4, 2 and 1 pixels (those
/// smaller than the map), weighted 1, 1/2, 1/4, 1/8 and normalised by their sum; summed over the levels. The term is
/// ramped in linearly over the first `warmupEpochs` (min(1, epoch / warmup), epochs counted from 0 as theirs are).
/// </summary>
public sealed class KnowledgeReviewTerm(IReadOnlyList<string> stages, bool teacherPreActivation, int warmupEpochs) : IRepresentationTerm
{
    private ReviewFusions? _fusions;

    /// <summary>The student's stage outputs, then its embedding.</summary>
    public IReadOnlyList<string> Points { get; } = [.. stages, FeaturePoints.Embedding];

    /// <summary>The teacher's maps at the same levels: the stages' pre-activation points (or their outputs), then its embedding.</summary>
    public IReadOnlyList<string> TeacherPoints { get; } =
        [.. stages.Select(s => teacherPreActivation ? PreActivation.Of(s) : s), FeaturePoints.Embedding];

    public nn.Module? Connector => _fusions;

    public void Connect(ConnectorContext context)
    {
        _fusions?.Dispose();
        manual_seed(context.Seed);
        _fusions = new ReviewFusions([.. Points.Select((p, i) => (context.Student[p][0], context.Teacher[TeacherPoints[i]][0]))]);
    }

    public Tensor Loss(ModelOutputs student, ModelOutputs teacher, TrainingBatch batch)
    {
        var fusions = _fusions ?? throw new InvalidOperationException("ReviewKD's fusions are built by Connect before the first step");
        using var scope = NewDisposeScope();
        var targets = TeacherPoints.Select(p => AsMap(teacher[p].detach())).ToList();
        var results = fusions.Review([.. Points.Select(p => AsMap(student[p]))], [.. targets.Select(t => t.shape[2])]);
        var total = results.Zip(targets, HierarchicalContext).Aggregate((a, b) => a.add(b));
        return total.mul(Math.Min(1.0, batch.Epoch / (double)warmupEpochs)).MoveToOuterDisposeScope();
    }

    /// <summary>An embedding (N x D) as the 1 x 1 map the fusions read; a map as it is.</summary>
    private static Tensor AsMap(Tensor point) => point.dim() == 2 ? point.view(point.shape[0], point.shape[1], 1, 1) : point;

    /// <summary>ReviewKD's hcl for one level.</summary>
    public static Tensor HierarchicalContext(Tensor student, Tensor teacher)
    {
        using var scope = NewDisposeScope();
        long size = student.shape[2];
        var loss = nn.functional.mse_loss(student, teacher);
        double weight = 1, total = 1;
        foreach (long level in new long[] { 4, 2, 1 })
        {
            if (level >= size) continue;
            weight /= 2;
            var pooled = nn.functional.mse_loss(
                nn.functional.adaptive_avg_pool2d(student, [level, level]), nn.functional.adaptive_avg_pool2d(teacher, [level, level]));
            loss = loss.add(pooled.mul(weight));
            total += weight;
        }
        return loss.div(total).MoveToOuterDisposeScope();
    }
}

/// <summary>ReviewKD's fusions, one per level in the points' order; the deepest level (the embedding) fuses nothing.</summary>
public sealed class ReviewFusions : nn.Module
{
    private readonly ModuleList<AttentionFusion> levels;

    /// <param name="channels">Each level's student and teacher channels; the middle width is min(512, the embedding's).</param>
    public ReviewFusions(IReadOnlyList<(long Student, long Teacher)> channels) : base(nameof(ReviewFusions))
    {
        long middle = Math.Min(512, channels[^1].Student);
        levels = nn.ModuleList(channels
            .Select((c, i) => new AttentionFusion(c.Student, middle, c.Teacher, fuse: i < channels.Count - 1)).ToArray());
        RegisterComponents();
    }

    /// <summary>Each level's result at its teacher's size (<paramref name="sizes"/>), from the deepest level up.</summary>
    public IReadOnlyList<Tensor> Review(IReadOnlyList<Tensor> features, IReadOnlyList<long> sizes)
    {
        var results = new Tensor[features.Count];
        Tensor? residual = null;
        for (int i = features.Count - 1; i >= 0; i--)
            (results[i], residual) = levels[i].Fuse(features[i], residual, sizes[i]);
        return results;
    }
}

/// <summary>
/// ReviewKD's ABF: a 1x1 convolution and batch norm to the middle width; where a deeper level's map is given, that map
/// upsampled (nearest) to this one's size and mixed with it by two attention maps (a 1x1 convolution of both, sigmoid);
/// resized (nearest) to the teacher's size if it differs; then a 3x3 convolution and batch norm to the teacher's
/// channels. Returns that result and the mixed map, which the next level up fuses. Both convolutions start as
/// kaiming_uniform_(a = 1), as theirs.
/// </summary>
public sealed class AttentionFusion : nn.Module
{
    private readonly RoutedConv2d conv1, conv2;
    private readonly BatchNorm2d norm1, norm2;
    private readonly RoutedConv2d? attention;

    public AttentionFusion(long inChannels, long middle, long outChannels, bool fuse) : base(nameof(AttentionFusion))
    {
        conv1 = new RoutedConv2d(inChannels, middle, 1, bias: false);
        norm1 = nn.BatchNorm2d(middle);
        conv2 = new RoutedConv2d(middle, outChannels, 3, padding: 1, bias: false);
        norm2 = nn.BatchNorm2d(outChannels);
        if (fuse) attention = new RoutedConv2d(2 * middle, 2, 1);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(conv1.parameters().First(), a: 1);
            nn.init.kaiming_uniform_(conv2.parameters().First(), a: 1);
        }
        RegisterComponents();
    }

    public (Tensor Result, Tensor Mixed) Fuse(Tensor x, Tensor? deeper, long outSize)
    {
        using var scope = NewDisposeScope();
        var mixed = norm1.call(conv1.call(x));
        if (attention is not null)
        {
            var below = nn.functional.interpolate(deeper!, [x.shape[2], x.shape[3]], mode: InterpolationMode.Nearest);
            var weights = nn.functional.sigmoid(attention.call(cat([mixed, below], 1)));
            mixed = mixed.mul(weights.narrow(1, 0, 1)).add(below.mul(weights.narrow(1, 1, 1)));
        }
        if (mixed.shape[3] != outSize) mixed = nn.functional.interpolate(mixed, [outSize, outSize], mode: InterpolationMode.Nearest);
        var result = norm2.call(conv2.call(mixed));
        return (result.MoveToOuterDisposeScope(), mixed.MoveToOuterDisposeScope());
    }
}
