using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Learning.Export;

/// <summary>
/// A module that writes itself into an ONNX graph: the operations of its forward pass in evaluation mode, in float32.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the module's operations on the value <paramref name="input"/> and returns the name of their result.</summary>
    /// <param name="path">The module's place in the network (state_dict style), which names its weights in the graph.</param>
    string ExportOnnx(OnnxGraphBuilder graph, string input, string path);
}

/// <summary>
/// Builds an ONNX graph one operator at a time (opset <see cref="Opset"/>): each method adds a node and returns the name
/// of its output. Weights become initializers named as in the state_dict, so a graph reads like the PyTorch twin.
/// TorchSharp's own layers are translated by <see cref="Apply"/>; Distill's write themselves (<see cref="IOnnxExportable"/>).
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>The operator set the graphs use: ONNX 1.12's newest, which Debian's checker and ONNX Runtime both know.</summary>
    public const int Opset = 17;

    private readonly HashSet<string> _names = [];

    public GraphProto Graph { get; } = new();

    /// <summary>The module's forward pass on <paramref name="input"/>; a layer this builder does not know is an error, never skipped.</summary>
    public string Apply(nn.Module module, string input, string path) => module switch
    {
        IOnnxExportable exportable => exportable.ExportOnnx(this, input, path),
        Sequential sequence => sequence.named_children().Aggregate(input, (x, child) => Apply(child.module, x, Join(path, child.name))),
        BatchNorm2d norm => BatchNormalization(input, norm, path),
        ReLU => Relu(input, path),
        MaxPool2d pool => MaxPool(input, pool, path),
        LocalResponseNorm norm => Node("LRN", [input], path,
            Float("alpha", norm.alpha), Float("beta", norm.beta), Float("bias", norm.k), Int("size", norm.size)),
        AdaptiveAvgPool2d pool when pool.output_size.All(s => s == 1) => Node("GlobalAveragePool", [input], path),
        Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => Node("Flatten", [input], path, Int("axis", 1)),
        Linear linear => Gemm(input, linear.weight!, linear.bias, path),
        _ => throw new NotSupportedException($"{path}: no ONNX translation for {module.GetType().Name}"),
    };

    /// <summary>A 2-D convolution, square kernel, the same stride and padding on both axes.</summary>
    public string Conv(string input, Tensor weight, Tensor? bias, long stride, long padding, string path)
    {
        var inputs = new List<string> { input, Initializer(Join(path, "weight"), weight) };
        if (bias is not null) inputs.Add(Initializer(Join(path, "bias"), bias));
        long kernel = weight.shape[2];
        return Node("Conv", inputs, path,
            Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));
    }

    /// <summary>A linear layer, x W^T + b.</summary>
    public string Gemm(string input, Tensor weight, Tensor? bias, string path)
    {
        var inputs = new List<string> { input, Initializer(Join(path, "weight"), weight) };
        if (bias is not null) inputs.Add(Initializer(Join(path, "bias"), bias));
        return Node("Gemm", inputs, path, Int("transB", 1));
    }

    public string Relu(string input, string path) => Node("Relu", [input], Join(path, "relu"));

    public string Add(string left, string right, string path) => Node("Add", [left, right], Join(path, "add"));

    /// <summary>Every <paramref name="stride"/>-th row and column, from the first (x[:, :, ::s, ::s]).</summary>
    public string Subsample(string input, long stride, string path) => Node("Slice",
        [input, Constant(Join(path, "starts"), 0, 0), Constant(Join(path, "ends"), long.MaxValue, long.MaxValue),
            Constant(Join(path, "axes"), 2, 3), Constant(Join(path, "steps"), stride, stride)],
        Join(path, "subsample"));

    /// <summary>Zero channels added before and after the existing ones (NCHW).</summary>
    public string PadChannels(string input, long before, long after, string path) => Node("Pad",
        [input, Constant(Join(path, "pads"), 0, before, 0, 0, 0, after, 0, 0)], Join(path, "pad"));

    /// <summary>(x - mean[c]) / std[c], the standardisation the network was trained behind.</summary>
    public string Standardise(string input, IReadOnlyList<float> mean, IReadOnlyList<float> std, string path)
    {
        long[] shape = [1, mean.Count, 1, 1];
        var centred = Node("Sub", [input, Initializer(Join(path, "mean"), mean.ToArray(), shape)], Join(path, "centre"));
        return Node("Div", [centred, Initializer(Join(path, "std"), std.ToArray(), shape)], Join(path, "scale"));
    }

    /// <summary>Gives <paramref name="value"/> the graph-output name <paramref name="name"/>.</summary>
    public string Rename(string value, string name) => Node("Identity", [value], name);

    private string BatchNormalization(string input, BatchNorm2d norm, string path) => Node("BatchNormalization",
        [input, Initializer(Join(path, "weight"), norm.weight!), Initializer(Join(path, "bias"), norm.bias!),
            Initializer(Join(path, "running_mean"), norm.running_mean!), Initializer(Join(path, "running_var"), norm.running_var!)],
        path, Float("epsilon", norm.eps));

    private string MaxPool(string input, MaxPool2d pool, string path)
    {
        if (pool.ceil_mode || pool.dilation?.Any(d => d != 1) == true)
            throw new NotSupportedException($"{path}: max pooling with ceil mode or dilation has no ONNX translation here");
        var padding = pool.padding ?? [0, 0];
        return Node("MaxPool", [input], path,
            Ints("kernel_shape", pool.kernel_size), Ints("strides", pool.stride ?? pool.kernel_size),
            Ints("pads", padding[0], padding[1], padding[0], padding[1]));
    }

    private string Node(string op, IEnumerable<string> inputs, string path, params AttributeProto[] attributes)
    {
        var output = Unique(path.Length == 0 ? op.ToLowerInvariant() : path);
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    private string Initializer(string name, Tensor tensor)
    {
        using var values = tensor.detach().cpu().to(ScalarType.Float32).contiguous();
        return Initializer(name, values.data<float>().ToArray(), values.shape);
    }

    private string Initializer(string name, float[] values, long[] shape)
    {
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(shape);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())); // little-endian, as ONNX's raw_data is
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    private string Constant(string name, params long[] values)
    {
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>The name, or the name with a counter when a module is applied twice.</summary>
    private string Unique(string name)
    {
        var candidate = name;
        for (int i = 2; !_names.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
