using Distill.Learning.Models;
using Google.Protobuf;
using Onnx;

namespace Distill.Learning.Export;

/// <summary>What a graph's input is: the image shape, the class count and the standardisation of the training data.</summary>
public sealed record OnnxInput(int Channels, int Height, int Width, int Classes, IReadOnlyList<float> Mean, IReadOnlyList<float> Std);

/// <summary>
/// A trained classifier as a self-contained ONNX model (IR version 8, opset <see cref="OnnxGraphBuilder.Opset"/>): input
/// <see cref="InputName"/>, float32 N x C x H x W pixels scaled to [0, 1] (divided by 255), standardised inside the graph;
/// output <see cref="OutputName"/>, N x K logits. The batch size is free. Metadata carries whatever the caller adds
/// (Distill adds the class names and the stage key).
/// </summary>
public static class OnnxModel
{
    public const string InputName = "pixels";
    public const string OutputName = "logits";

    /// <summary>ONNX 1.12's IR version, the one its checker and every ONNX Runtime since 1.12 read.</summary>
    public const long IrVersion = 8;

    public static ModelProto Build(ClassifierNet model, OnnxInput input, IReadOnlyDictionary<string, string> metadata)
    {
        var graph = new OnnxGraphBuilder();
        var standardised = graph.Standardise(InputName, input.Mean, input.Std, "standardise");
        graph.Rename(model.ExportOnnx(graph, standardised, ""), OutputName);
        graph.Graph.Name = model.GetName();
        graph.Graph.Input.Add(FloatTensor(InputName, new Dim("batch"), new Dim(input.Channels), new Dim(input.Height), new Dim(input.Width)));
        graph.Graph.Output.Add(FloatTensor(OutputName, new Dim("batch"), new Dim(input.Classes)));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Distill",
            Graph = graph.Graph,
            DocString = $"{model.GetName()}: {InputName} is float32 N x {input.Channels} x {input.Height} x {input.Width}, pixels divided by 255 "
                + $"(values in [0, 1]), standardised inside the graph; {OutputName} is N x {input.Classes}.",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxGraphBuilder.Opset });
        foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>Writes the model; equal weights give equal bytes (protobuf's encoding of a message without maps is deterministic).</summary>
    public static void Write(ClassifierNet model, OnnxInput input, IReadOnlyDictionary<string, string> metadata, Stream stream) =>
        Build(model, input, metadata).WriteTo(stream);

    /// <summary>One dimension: a size, or a name for a size chosen at run time.</summary>
    private readonly record struct Dim(long? Size, string? Name)
    {
        public Dim(long size) : this(size, null) { }
        public Dim(string name) : this(null, name) { }
    }

    private static ValueInfoProto FloatTensor(string name, params Dim[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim.Name is null ? new TensorShapeProto.Types.Dimension { DimValue = dim.Size!.Value } : new TensorShapeProto.Types.Dimension { DimParam = dim.Name });
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
