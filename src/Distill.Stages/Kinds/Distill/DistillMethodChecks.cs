using System.Collections.Concurrent;
using Distill.Learning.Models;
using Distill.Learning.Training;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Stages.Datasets;
using Distill.Stages.Kinds.CacheLogits;
using Distill.Stages.Kinds.Distill.Losses;
using Distill.Stages.Models;

namespace Distill.Stages.Kinds.Distill;

/// <summary>
/// A distill stage's loss against what it reads: a cache holds the teacher's logits, and its embeddings with
/// `embeddings: true`, so a method that reads other points (feature maps) needs a live teacher; and both models must have the points the method reads, with shapes that
/// go together (<see cref="IDistillationMethod.ShapeProblem"/>). Shapes come from one forward pass of a zero image
/// through each model, once per architecture, keys and image shape.
/// </summary>
internal static class DistillMethodChecks
{
    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, long[]>> Shapes = new();

    public static void Check(StageChecks checks, BoundStage stage, DistillParameters parameters, BoundStage teacher, BoundStage? trained, bool cached)
    {
        if (stage.Parameters.GetValueOrDefault("loss") is not ParameterSet keys
            || DistillationLosses.All.FirstOrDefault(m => m.Spec.Name == keys.TryGetString("name")) is not { } method) return;
        var loss = method.Create(parameters, keys);
        if (parameters.LogitStandardization && loss is not LogitDistillationLoss)
            checks.Error(stage, $"logit-standardization z-scores the logits a logit method (kd, dkd, dist, wttm, mlkd, ctkd) distils; loss '{method.Spec.Name}' reads no logits of the teacher", "logit-standardization");
        if (parameters.Divergence != SoftTargetDivergence.ForwardKl && method.Spec.Name != KdMethod.Name)
            checks.Error(stage, $"divergence {ParameterRecords.KebabName(parameters.Divergence)} chooses the divergence of kd's soft term; loss '{method.Spec.Name}' has its own", "divergence");
        if (cached)
        {
            bool embeddings = teacher.Kind == CacheLogitsKind.Name
                && ParameterRecords.Read<CacheLogitsParameters>(ParameterSet.From(teacher.Parameters)).Embeddings;
            var missing = loss.TeacherPoints.Where(p => p != FeaturePoints.Logits && !(embeddings && p == FeaturePoints.Embedding)).ToList();
            if (missing.Count == 0) return;
            var holds = embeddings ? "its logits and embeddings" : "only its logits";
            var fix = missing.SequenceEqual([FeaturePoints.Embedding]) && teacher.Kind == CacheLogitsKind.Name
                ? $"set `embeddings: true` on '{teacher.Id}', or use teacher-source: live with the train stage as inputs.teacher"
                : "feature maps need teacher-source: live, with the train stage as inputs.teacher";
            checks.Error(stage, $"loss '{method.Spec.Name}' reads the teacher's {Names(missing)}, and the cache '{teacher.Id}' holds {holds}; {fix}", "loss");
            return;
        }
        if (loss.StudentPoints.Count == 0 && loss.TeacherPoints.Count == 0) return;
        var student = ShapesOf(checks, checks.Model(stage.Model), stage.Dataset);
        var taught = ShapesOf(checks, checks.Model(trained?.Model), trained?.Dataset);
        if (student is null || taught is null) return;
        bool known = Has(checks, stage, method, "student", stage.Model!, student, loss.StudentPoints)
            & Has(checks, stage, method, "teacher", trained!.Model!, taught, loss.TeacherPoints);
        if (!known) return;
        foreach (var point in loss.StudentPoints.Intersect(loss.TeacherPoints))
            if (method.ShapeProblem(point, student[point], taught[point]) is { } problem)
                checks.Error(stage, $"loss '{method.Spec.Name}': {problem}", "loss");
    }

    private static bool Has(StageChecks checks, BoundStage stage, IDistillationMethod method, string role, string model,
        IReadOnlyDictionary<string, long[]> shapes, IReadOnlyCollection<string> points)
    {
        var missing = points.Where(p => !shapes.ContainsKey(p)).ToList();
        if (missing.Count == 0) return true;
        checks.Error(stage,
            $"loss '{method.Spec.Name}' reads {Names(missing)} of the {role} model '{model}', which has no such point; it has {string.Join(", ", shapes.Keys)}", "loss");
        return false;
    }

    private static IReadOnlyDictionary<string, long[]>? ShapesOf(StageChecks checks, ModelDefinition? model, string? datasetName)
    {
        if (model is null || checks.Dataset(datasetName) is not { } dataset
            || checks.Catalogue.DatasetKind(dataset.Kind) is not DatasetKind kind
            || checks.Catalogue.Architecture(model.Architecture) is not Architecture architecture) return null;
        var (channels, height, width) = kind.ImageShape(dataset.Parameters);
        int classes = dataset.ClassNames?.Count ?? 2;
        // A TorchScript file is not read before the run: its logits are all validation can count on.
        if (architecture is TorchScriptArchitecture) return new Dictionary<string, long[]> { [FeaturePoints.Logits] = [classes] };
        string key = $"{model.Architecture} {CanonicalJson.Write(model.Parameters)} {channels}x{height}x{width} {classes}";
        return Shapes.GetOrAdd(key, _ =>
        {
            using var network = architecture.Create(model.Parameters, channels, height, width, classes);
            return network.FeatureShapes(channels, height, width);
        });
    }

    private static string Names(IEnumerable<string> points) => string.Join(", ", points.Select(p => $"'{p}'"));
}
