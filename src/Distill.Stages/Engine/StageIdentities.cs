using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Data;
using Distill.Stages.Kinds;

namespace Distill.Stages.Engine;

/// <summary>
/// Each stage's key and what it is made of (its canonical definition, its dataset's fingerprint with the hashes of the
/// files it imports and whatever else its kind reads beyond its inputs, the engine's format version, its inputs' keys),
/// computed once per stage when first asked, as the pointer the run directory keeps for the stage.
/// </summary>
/// <param name="computeOf">The pipeline as a stage's own process runs it (its device and threads), when stages run
/// under different compute (batch jobs with their own resources); by default every stage runs under the pipeline's.</param>
public sealed class StageIdentities(PipelineDefinition pipeline, DataCatalog data, string runsRoot, Func<StageDefinition, PipelineDefinition>? computeOf = null)
{
    private readonly Dictionary<string, StagePointer> _known = [];

    /// <summary>Takes a stage's identity as resolved elsewhere (the parent of a stage process), instead of computing it.</summary>
    public void Known(StageDefinition stage, StagePointer identity)
    {
        if (identity.Kind != stage.Kind || !stage.Dependencies.All(identity.InputKeys.ContainsKey))
            throw new InvalidOperationException($"the identity given for stage '{stage.Id}' is of another stage (kind {identity.Kind}, inputs {string.Join(", ", identity.InputKeys.Keys)})");
        _known[stage.Id] = identity;
    }

    /// <summary>
    /// Whether <paramref name="identity"/>'s key is made of this stage's definition as read here, with the fingerprint
    /// and inputs' keys it names (which are not computed again).
    /// </summary>
    public bool Matches(StageDefinition stage, StagePointer identity)
    {
        if (identity.Kind != stage.Kind || !stage.Dependencies.All(identity.InputKeys.ContainsKey)) return false;
        var definition = stage.CanonicalJson(pipeline, identity.InputKeys);
        var key = StageKey.Compute(definition, identity.DatasetFingerprint, PipelineRunner.FormatVersion, stage.Dependencies.Select(d => identity.InputKeys[d]).ToList());
        return string.Equals(key, identity.Key, StringComparison.OrdinalIgnoreCase);
    }

    public StagePointer Of(StageDefinition stage)
    {
        if (_known.TryGetValue(stage.Id, out var known)) return known;
        string fingerprint = stage.Dataset is null ? "" : data.Get(stage.Dataset).Fingerprint;
        if (ExternalFiles.Fingerprint(pipeline, stage) is { Length: > 0 } imported) fingerprint += "\n" + imported;
        if ((pipeline.Catalogue.Kind(stage.Kind) as StageKind)?.ReadsBeyondInputs(stage, runsRoot) is { Length: > 0 } beyond)
            fingerprint += "\n" + beyond;
        var inputs = stage.Dependencies.ToDictionary(d => d, d => Of(pipeline.Stage(d)));
        var inputKeys = inputs.ToDictionary(i => i.Key, i => i.Value.Key);
        var compute = computeOf?.Invoke(stage) ?? pipeline;
        var definition = stage.CanonicalJson(compute, inputKeys);
        var key = StageKey.Compute(definition, fingerprint, PipelineRunner.FormatVersion, stage.Dependencies.Select(d => inputKeys[d]).ToList());
        var seedKeys = inputs.ToDictionary(i => i.Key, i => i.Value.SeedKey!);
        var seedKey = StageKey.Compute(CanonicalJson.ForSeed(stage, compute, seedKeys), fingerprint, SeedKeyFormatVersion,
            stage.Dependencies.Select(d => seedKeys[d]).ToList());
        return _known[stage.Id] = StagePointer.Create(key, stage.Kind, definition, fingerprint, inputKeys, DateTimeOffset.UtcNow, seedKey);
    }

    /// <summary>The engine's format version when keys did not yet name the code, frozen in <see cref="StageManifest.SeedKey"/>.</summary>
    private const int SeedKeyFormatVersion = 5;
}
