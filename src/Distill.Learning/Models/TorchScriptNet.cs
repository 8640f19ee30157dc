using Distill.Learning.Export;
using Distill.Learning.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Models;

/// <summary>
/// A network from PyTorch saved as TorchScript (torch.jit.save of a traced or scripted module), run as it is: any
/// architecture PyTorch has (torchvision, timm, the user's own), weights included. Distill reads one convention: forward
/// takes a batch of standardised images and returns the logits, or a tuple (logits, embedding) whose second item is the
/// penultimate embedding (N x D), which cache-logits can store and embedding methods read. It has no other feature
/// point and no separate classifier, so it teaches logit methods; it is never trained or exported to ONNX here.
/// On the CPU it runs on LibTorch's native kernels, oneDNN off: oneDNN 3.7.1 computes some convolution shapes wrong on
/// these CPUs (docs/platform-defects.md), and inside a TorchScript graph Distill cannot route them one by one.
/// </summary>
public sealed class TorchScriptNet() : ClassifierNet("torchscript")
{
    private jit.ScriptModule? _script;

    /// <summary>The file loaded (null before <see cref="Load"/>).</summary>
    public string? Source { get; private set; }

    /// <summary>Loads the module from <paramref name="path"/>, in eval mode, on the CPU.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: TorchScript file not found", path);
        if (_script is not null) throw new InvalidOperationException($"this model already holds {Source}");
        try { _script = jit.load(path); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot load it as TorchScript ({e.Message}); save it with torch.jit.save(torch.jit.trace(model, example), path)", e);
        }
        register_module("script", _script);
        _script.eval();
        Source = path;
    }

    /// <summary>
    /// The script alone, not its inner modules: LibTorch owns those, and Module.Dispose, which walks this list disposing
    /// as it goes, would otherwise ask the disposed script for its children.
    /// </summary>
    public override IEnumerable<(string name, TorchSharp.torch.nn.Module module)> named_modules() =>
        _script is null ? [] : [("script", _script)];

    private jit.ScriptModule Script => _script ?? throw new InvalidOperationException("a TorchScript model was used before its file was loaded");

    public override Tensor forward(Tensor x)
    {
        var (logits, embedding) = Run(x);
        embedding?.Dispose();
        return logits;
    }

    public override Tensor Features(Tensor x)
    {
        var (logits, embedding) = Run(x);
        logits.Dispose();
        return embedding ?? throw NoEmbedding();
    }

    public override ModelOutputs Forward(Tensor x, IReadOnlyCollection<string> points)
    {
        var unknown = points.Except(FeaturePointNames).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"a TorchScript model has no feature point {string.Join(", ", unknown.Select(u => $"'{u}'"))}; it has {string.Join(", ", FeaturePointNames)}");
        var (logits, embedding) = Run(x);
        if (!points.Contains(FeaturePoints.Embedding) || embedding is null)
        {
            embedding?.Dispose();
            return new ModelOutputs(logits);
        }
        return new ModelOutputs(logits, new Dictionary<string, Tensor> { [FeaturePoints.Embedding] = embedding });
    }

    /// <summary>Logits always; the embedding too when forward returns the pair (found by running it once).</summary>
    public override IReadOnlyList<string> FeaturePointNames => _returnsEmbedding == true ? [FeaturePoints.Embedding, FeaturePoints.Logits] : [FeaturePoints.Logits];

    private bool? _returnsEmbedding;

    /// <summary>Runs the module once on a zero image, which also tells whether it returns an embedding.</summary>
    public override long EmbeddingWidth(long channels, long height, long width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, embedding) = Run(zeros(1, channels, height, width, device: parameters().FirstOrDefault()?.device ?? CPU));
        return embedding?.shape[1] ?? throw NoEmbedding();
    }

    public override Linear Classifier => throw new NotSupportedException(
        "a TorchScript model has no separate classifier layer (the projection analysis and methods that read class templates need one of Distill's architectures)");

    protected override IEnumerable<(string Point, TorchSharp.torch.nn.Module<Tensor, Tensor> Layer)> FeatureLayers() => [];

    public override string ExportOnnx(OnnxGraphBuilder graph, string input, string path) =>
        throw new NotSupportedException("a TorchScript model is not exported to ONNX by Distill; export it from PyTorch (torch.onnx.export)");

    private (Tensor Logits, Tensor? Embedding) Run(Tensor x)
    {
        if (x.device_type != DeviceType.CPU) return Unpack(Script.call(x));
        using (NativeKernelScope.Enter()) return Unpack(Script.call(x));
    }

    private (Tensor Logits, Tensor? Embedding) Unpack(object result)
    {
        switch (result)
        {
            case Tensor logits:
                _returnsEmbedding = false;
                return (logits, null);
            case ValueTuple<Tensor, Tensor>(var logits, var embedding):
                _returnsEmbedding = true;
                if (embedding.dim() == 2) return (logits, embedding);
                using (embedding) return (logits, embedding.flatten(1));
            default:
                throw new InvalidDataException($"{Source}: forward returned {result?.GetType().Name ?? "nothing"}; Distill reads the logits, or a tuple (logits, embedding)");
        }
    }

    private InvalidOperationException NoEmbedding() =>
        new($"{Source}: forward returns only the logits; return (logits, embedding) from it to give Distill the penultimate embedding");
}
