using System.Text.Json;
using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Stages.Datasets;
using Distill.Stages.Models;

namespace Distill.Stages.Engine;

/// <summary>
/// How much work a stage's definition asks for, in multiply-adds, so that a stored duration can be scaled to another
/// stage of the same kind: examples x passes x the model's forward cost. A training epoch is three forward passes per
/// training example (forward, backward) plus one per validation and test example (its evaluation); a cache is one per
/// cached view. A distill stage with a live teacher adds one forward pass of the teacher per training example, the
/// teacher's model read from its definition (<paramref name="definitionOf"/>: a stage's definition by its key, where
/// known). Null where the definition does not say (kinds without a model, unknown architectures).
/// </summary>
public sealed class StageWork(StageCatalogue catalogue, Func<string, JsonElement?>? definitionOf = null)
{
    public double? Of(JsonElement definition)
    {
        if (definition.ValueKind != JsonValueKind.Object
            || !definition.TryGetProperty("dataset", out var datasetJson) || Read(datasetJson) is not ParameterSet dataset
            || catalogue.DatasetKind(dataset.TryGetString("kind")) is not DatasetKind kind
            || catalogue.FindDataset(kind.Spec.Name) is not { } spec) return null;
        var splits = kind.Splits(dataset);
        double train = splits.Subset?.Train ?? (spec.TrainSize is { } size ? size - splits.Validation : double.NaN);
        double evaluated = splits.Validation + (splits.Subset?.Test ?? spec.TestSize ?? double.NaN);
        if (!double.IsFinite(train) || !double.IsFinite(evaluated)) return null;
        var parameters = definition.TryGetProperty("parameters", out var p) && Read(p) is ParameterSet set ? set : ParameterSet.Empty;
        if (!definition.TryGetProperty("model", out var modelJson) || Read(modelJson) is not ParameterSet model
            || catalogue.Architecture(model.TryGetString("architecture")) is not Architecture architecture) return null;
        var (channels, height, width) = kind.ImageShape(dataset);
        double macs = architecture.ForwardMacs(model, channels, height, width);
        if (!double.IsFinite(macs)) return null;
        var kindName = definition.TryGetProperty("kind", out var kindJson) ? kindJson.GetString() : null;
        if (WorkOf(catalogue.Find(kindName), parameters) is not { } work) return null;
        double teacher = work.LiveTeacher && LiveTeacherMacs(definition, channels, height, width) is { } t ? work.Epochs * train * t : 0;
        return (work.Epochs * (3 * train + work.ExtraPassesPerEpoch) + work.Evaluations * evaluated) * macs + teacher;
    }

    /// <summary>
    /// The work the kind reads from its own records (<see cref="StageKindSpec.Work"/>), or one pass for kinds that declare
    /// none; null where a stored definition no longer reads as this build's keys (a store from an older build).
    /// </summary>
    private static TrainingWork? WorkOf(StageKindSpec? kind, ParameterSet parameters)
    {
        if (kind?.Work is not { } work) return TrainingWork.OnePass;
        try { return work(parameters); }
        catch (Exception e) when (e is InvalidCastException or FormatException or ArgumentException or InvalidOperationException) { return null; }
    }

    /// <summary>The forward cost per image of the model of the stage a distill stage's `teacher` input names, if its definition is known.</summary>
    private double? LiveTeacherMacs(JsonElement definition, int channels, int height, int width)
    {
        if (definitionOf is null || !definition.TryGetProperty("inputs", out var inputs) || !inputs.TryGetProperty("teacher", out var keys)
            || keys.ValueKind != JsonValueKind.Array || keys.GetArrayLength() != 1 || keys[0].GetString() is not { } key
            || definitionOf(key) is not { } teacher || !teacher.TryGetProperty("model", out var modelJson) || Read(modelJson) is not ParameterSet model
            || catalogue.Architecture(model.TryGetString("architecture")) is not Architecture architecture) return null;
        return architecture.ForwardMacs(model, channels, height, width);
    }

    /// <summary>Canonical JSON back to resolved values (integers stay integers, so the records read them).</summary>
    private static object? Read(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => ParameterSet.From(json.EnumerateObject().Select(p => (p.Name, Value: Read(p.Value))).Where(p => p.Value is not null)
            .Select(p => new KeyValuePair<string, object>(p.Name, p.Value!))),
        JsonValueKind.Array => json.EnumerateArray().Select(Read).OfType<object>().ToList(),
        JsonValueKind.Number => json.TryGetInt32(out var i) ? (object)i : json.GetDouble(),
        JsonValueKind.String => json.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
