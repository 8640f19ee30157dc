using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.EndToEnd.Tests.Support;

/// <summary>
/// The README's "Serving a student with ONNX Runtime" snippet, run by the tests: the lines between the README markers
/// are quoted there verbatim (ReadmeTests checks it), so the documented code is the tested code.
/// </summary>
public static class OnnxServing
{
    public const string Begin = "// README: serving begin";
    public const string End = "// README: serving end";

    /// <summary>Logits and predicted class names of <paramref name="n"/> Fashion-MNIST images, pixels/255 in N x 1 x 28 x 28 order.</summary>
    public static (Tensor<float> Logits, string[] Predicted) Serve(string modelPath, float[] pixels, int n)
    {
        // README: serving begin
        using var session = new InferenceSession(modelPath);
        var classes = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["classes"])!;
        // Raw pixels scaled to [0, 1]: the graph standardises them as training did.
        var input = new DenseTensor<float>(pixels, [n, 1, 28, 28]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("pixels", input)]);
        var logits = results[0].AsTensor<float>();
        var predicted = Enumerable.Range(0, n)
            .Select(i => classes[Enumerable.Range(0, classes.Length).MaxBy(k => logits[i, k])])
            .ToArray();
        // README: serving end
        return (logits.Clone(), predicted);
    }
}
