using Distill.Learning.Data;
using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Learning.Training;

/// <summary>
/// Accuracy and mean negative log-likelihood of a model on a split, and each example's confidence (its largest softmax
/// probability) and whether its prediction was right, from which calibration errors are computed.
/// </summary>
public sealed record Evaluation(double Accuracy, double Nll, int Count, double[] Confidences, bool[] Correct);

/// <summary>Runs a model over whole splits without gradients (eval mode, batch by batch).</summary>
public static class Evaluator
{
    public static Evaluation Evaluate(ClassifierNet model, BatchMaker batches, int batchSize)
    {
        int n = batches.Images.Count;
        if (n == 0) return new Evaluation(double.NaN, double.NaN, 0, [], []);
        double correct = 0, nll = 0;
        var confidences = new double[n];
        var right = new bool[n];
        ForEachBatch(model, batches, batchSize, AugmentationSpec.None, 0, 0, (logits, labels, start) =>
        {
            var hits = logits.argmax(1).eq(labels);
            correct += hits.sum().item<long>();
            nll += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            var confidence = nn.functional.softmax(logits.to_type(ScalarType.Float64), 1).max(1).values;
            confidence.cpu().data<double>().CopyTo(confidences, (int)start);
            hits.cpu().data<bool>().CopyTo(right, (int)start);
        });
        return new Evaluation(correct / n, nll / n, n, confidences, right);
    }

    /// <summary>The raw logits of every example of a split (row-major N x K), optionally of an augmented view.</summary>
    public static float[] Logits(ClassifierNet model, BatchMaker batches, int batchSize, AugmentationSpec view, long seed, long stream)
    {
        int n = batches.Images.Count;
        int k = batches.Images.ClassNames.Count;
        var result = new float[(long)n * k];
        ForEachBatch(model, batches, batchSize, view, seed, stream, (logits, _, start) =>
            logits.to(CPU).to_type(ScalarType.Float32).data<float>().CopyTo(result, (int)(start * k)));
        return result;
    }

    /// <summary>
    /// The raw logits and penultimate embeddings of every example of a split, from one forward pass per batch
    /// (row-major N x K and N x <c>width</c>), optionally of an augmented view.
    /// </summary>
    public static (float[] Logits, float[] Embeddings, int Width) LogitsAndEmbeddings(ClassifierNet model, BatchMaker batches, int batchSize, AugmentationSpec view, long seed, long stream)
    {
        int n = batches.Images.Count;
        int k = batches.Images.ClassNames.Count;
        int width = (int)model.EmbeddingWidth(batches.Images.Channels, batches.Images.Height, batches.Images.Width);
        var logits = new float[(long)n * k];
        var embeddings = new float[(long)n * width];
        ForEachBatch(model, batches, batchSize, view, seed, stream, (outputs, _, start) =>
        {
            outputs.Logits.to(CPU).to_type(ScalarType.Float32).data<float>().CopyTo(logits, (int)(start * k));
            outputs[FeaturePoints.Embedding].to(CPU).to_type(ScalarType.Float32).data<float>().CopyTo(embeddings, (int)(start * width));
        }, [FeaturePoints.Embedding]);
        return (logits, embeddings, width);
    }

    private static void ForEachBatch(
        ClassifierNet model, BatchMaker batches, int batchSize, AugmentationSpec view, long seed, long stream,
        Action<Tensor, Tensor, long> onBatch) =>
        ForEachBatch(model, batches, batchSize, view, seed, stream, (outputs, labels, start) => onBatch(outputs.Logits, labels, start), ModelOutputs.LogitsOnly);

    private static void ForEachBatch(
        ClassifierNet model, BatchMaker batches, int batchSize, AugmentationSpec view, long seed, long stream,
        Action<ModelOutputs, Tensor, long> onBatch, IReadOnlyCollection<string> points)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            int n = batches.Images.Count;
            for (int start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int count = Math.Min(batchSize, n - start);
                var indices = new long[count];
                for (int i = 0; i < count; i++) indices[i] = start + i;
                var (inputs, labels) = batches.Make(indices, view, seed, stream);
                using var outputs = model.Forward(inputs, points);
                onBatch(outputs, labels, start);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
