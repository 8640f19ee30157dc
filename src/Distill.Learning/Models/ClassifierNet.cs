using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A classifier split at its penultimate layer: Features(x) is the input of the final linear layer,
/// whose weight rows are the class templates the projection analysis uses.
/// </summary>
public abstract class ClassifierNet(string name) : nn.Module<Tensor, Tensor>(name), IOnnxExportable
{
    /// <summary>The penultimate activation, N x D.</summary>
    public abstract Tensor Features(Tensor x);

    /// <summary>The final linear layer (K x D weight: one template per class).</summary>
    public abstract Linear Classifier { get; }

    public override Tensor forward(Tensor x)
    {
        using var features = Features(x);
        using var wide = Float32(features);
        return Classifier.call(wide); // call, not forward: runs module hooks (NonFiniteLocator)
    }

    /// <summary>
    /// The layers <see cref="Features"/> runs, in order, each tagged with its feature point: a point's value is the
    /// output of the last layer tagged with it. The last point is <see cref="FeaturePoints.Embedding"/>.
    /// </summary>
    protected abstract IEnumerable<(string Point, nn.Module<Tensor, Tensor> Layer)> FeatureLayers();

    /// <summary>
    /// The feature points a forward pass can return, in the order it computes them, logits last; a point whose last
    /// step ends in a ReLU also has its pre-activation point (<see cref="PreActivation"/>), right after it.
    /// </summary>
    public virtual IReadOnlyList<string> FeaturePointNames => _pointNames ??=
    [
        .. LastSteps(Steps(FeatureLayers()).ToList()).Where(s => s.Last)
            .SelectMany(s => s.Step.PreRun is null ? [s.Step.Point] : new[] { s.Step.Point, PreActivation.Of(s.Step.Point) }),
        FeaturePoints.Logits,
    ];

    // Read on every forward pass that returns points, and fixed once the layers are built.
    private IReadOnlyList<string>? _pointNames;

    /// <summary>The width of the penultimate embedding (the classifier's input) for images of C x H x W.</summary>
    public virtual long EmbeddingWidth(long channels, long height, long width) => Classifier.weight!.shape[1];

    /// <summary>
    /// A forward pass that also returns the feature points named in <paramref name="points"/> (the same values as
    /// <see cref="forward"/>: the layers run once, in the same order). No points: just the logits.
    /// </summary>
    public virtual ModelOutputs Forward(Tensor x, IReadOnlyCollection<string> points)
    {
        if (points.Count == 0) return new ModelOutputs(forward(x));
        var unknown = points.Except(FeaturePointNames).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{GetName()} has no feature point {string.Join(", ", unknown.Select(u => $"'{u}'"))}; it has {string.Join(", ", FeaturePointNames)}");
        var features = new Dictionary<string, Tensor>();
        var y = x;
        foreach (var (step, last) in LastSteps(Steps(FeatureLayers()).ToList()))
        {
            if (last && points.Contains(PreActivation.Of(step.Point)))
            {
                var (preActivation, output) = step.PreRun!(y);
                features[PreActivation.Of(step.Point)] = Float32(preActivation);
                y = output;
            }
            else y = step.Run(y);
            if (last && points.Contains(step.Point)) features[step.Point] = Float32(y);
        }
        using var wide = Float32(y);
        var logits = Classifier.call(wide);
        return new ModelOutputs(logits, features);
    }

    /// <summary>
    /// The batch norm whose output the point's last ReLU reads (a residual block's second, a VGG stage's), for a point
    /// with a pre-activation point (either name); null otherwise. mdistiller's get_bn_before_relu: OFD's margins.
    /// </summary>
    public BatchNorm2d? NormBeforeActivation(string point)
    {
        string stage = point.EndsWith(PreActivation.Suffix, StringComparison.Ordinal) ? point[..^PreActivation.Suffix.Length] : point;
        return LastSteps(Steps(FeatureLayers()).ToList()).LastOrDefault(s => s.Last && s.Step.Point == stage).Step?.Norm;
    }

    /// <summary>Each feature point's shape for one example of C x H x W (a forward pass on zeros, in eval mode).</summary>
    public IReadOnlyDictionary<string, long[]> FeatureShapes(long channels, long height, long width)
    {
        bool training = this.training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // On the model's device (a CUDA model cannot read a CPU tensor).
            using var outputs = Forward(zeros(1, channels, height, width, device: parameters().First().device), FeaturePointNames);
            return FeaturePointNames.ToDictionary(p => p, p => outputs[p].shape[1..]);
        }
        finally
        {
            train(training);
        }
    }

    /// <summary>
    /// <see cref="FeatureLayers"/> run in order, as a Sequential runs them (each intermediate result freed when the next
    /// layer has run), for models whose <see cref="Features"/> are exactly those layers.
    /// </summary>
    protected Tensor RunFeatureLayers(Tensor x)
    {
        Tensor? y = null;
        foreach (var step in Steps(FeatureLayers()))
        {
            var next = step.Run(y ?? x);
            y?.Dispose();
            y = next;
        }
        return y ?? x.alias();
    }

    /// <summary>
    /// One step of a forward pass: <see cref="Run"/>, and for a step that ends in a ReLU <see cref="PreRun"/>, which also
    /// returns the value the ReLU was applied to.
    /// </summary>
    private sealed record Step(string Point, Func<Tensor, Tensor> Run,
        Func<Tensor, (Tensor PreActivation, Tensor Output)>? PreRun, BatchNorm2d? Norm = null);

    /// <summary>
    /// The layers as the steps a forward pass takes: each layer alone, except that a batch norm followed by a ReLU of the
    /// same feature point is one step that runs them fused (<see cref="BatchNormRelu"/>; the pair's output is the ReLU's).
    /// </summary>
    private static IEnumerable<Step> Steps(IEnumerable<(string Point, nn.Module<Tensor, Tensor> Layer)> layers)
    {
        var list = layers.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var (point, layer) = list[i];
            if (layer is BatchNorm2d norm && i + 1 < list.Count && list[i + 1].Layer is ReLU relu && list[i + 1].Point == point)
            {
                i++;
                // The pre-activation kept: batch norm and ReLU run as LibTorch's two operations.
                yield return new Step(point, x => BatchNormRelu.Apply(norm, x, relu), x =>
                {
                    var normalized = norm.call(x);
                    return (normalized, nn.functional.relu(normalized));
                }, norm);
            }
            else if (layer is IPreActivationLayer block)
                yield return new Step(point, layer.call, block.ForwardWithPreActivation, block.NormBeforeActivation);
            else
                yield return new Step(point, layer.call, null);
        }
    }

    /// <summary>Each step with whether it is the last of its feature point (whose output is the point's value).</summary>
    private static IEnumerable<(Step Step, bool Last)> LastSteps(IReadOnlyList<Step> steps) =>
        steps.Select((step, i) => (step, i + 1 == steps.Count || steps[i + 1].Point != step.Point));

    /// <summary>A Sequential's layers tagged by <paramref name="pointOf"/> (given each layer's name).</summary>
    protected static IEnumerable<(string, nn.Module<Tensor, Tensor>)> Tagged(Sequential body, Func<string, string> pointOf) =>
        body.named_children().Select(c => (pointOf(c.name), (nn.Module<Tensor, Tensor>)c.module));

    /// <summary>ResNet-style layer names: "stem..." is the stem, "stageN_blockM" stage N, anything after the stages the embedding.</summary>
    protected static string StagePoint(string layer) =>
        layer.StartsWith("stem", StringComparison.Ordinal) ? "stem"
        : layer.StartsWith("stage", StringComparison.Ordinal) ? layer[..layer.IndexOf('_')]
        : FeaturePoints.Embedding;

    /// <summary>The forward pass as ONNX operators, in float32 whatever <see cref="Precision"/> says: input NCHW, output the logits.</summary>
    public abstract string ExportOnnx(OnnxGraphBuilder graph, string input, string path);

    /// <summary>
    /// The tensor in float32: in <see cref="Platform.Precision.Bf16"/> activations are bfloat16 between layers, but the
    /// classifier, the loss and every feature point a caller reads are float32.
    /// </summary>
    private static Tensor Float32(Tensor t) => t.dtype == ScalarType.BFloat16 ? t.to(ScalarType.Float32) : t.alias();

    public long ParameterCount() => parameters().Sum(p => p.numel());

    private Precision _precision;

    /// <summary>
    /// What the model's convolutions and hidden linear layers multiply in, from the next forward pass on (training,
    /// evaluation, logits alike); float32 by default. Weights, gradients and buffers stay float32 in every precision,
    /// and so do batch norm, the classifier layer (it feeds softmax and the loss, and costs nothing) and the loss.
    /// Setting <see cref="Precision.Bf16"/> throws <see cref="CpuFeatureMissingException"/> where the CPU lacks it.
    /// </summary>
    public Precision Precision
    {
        get => _precision;
        set
        {
            PrecisionSupport.EnsureSupported(value);
            foreach (var layer in modules().OfType<IPrecisionLayer>()) layer.Precision = value;
            _precision = value;
        }
    }
}
