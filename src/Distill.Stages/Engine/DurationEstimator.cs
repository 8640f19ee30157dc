using MathNet.Numerics.Statistics;
using System.Globalization;
using System.Text.Json;
using Distill.Runs;

namespace Distill.Stages.Engine;

/// <summary>
/// Estimates how long a stage will take from the durations the store recorded for completed stages of the same
/// kind: those whose definitions differ from it in the fewest settings (median of their durations), each scaled by
/// the ratio of the work the two definitions ask for (<see cref="StageWork"/>: examples, epochs and the model's cost),
/// or of epochs where the work cannot be told. Ids, seeds and replicates are not counted as differences, as they do
/// not change the amount of work.
/// </summary>
public sealed class DurationEstimator(StageStore store, StageWork? work = null)
{
    private static readonly string[] Ignored = ["id", "seed", "replicate", "inputs"];

    private List<StoredStage>? _stored;

    private sealed record StoredStage(string Kind, SortedDictionary<string, string> Settings, double Seconds, double? Work);

    /// <summary>Seconds for the work <paramref name="decision"/> leaves to do (zero for a reuse); null when nothing similar was stored.</summary>
    public StageEstimate? Estimate(string kind, JsonElement definition, StageDecision decision)
    {
        if (decision.Action == StageAction.Skip) return new StageEstimate(0, "reused");
        var settings = Relevant(DefinitionSettings.Flatten(definition));
        var wanted = work?.Of(definition);
        var candidates = Stored().Where(s => s.Kind == kind).Select(s => (Stage: s, Differences: Differences(settings, s.Settings))).ToList();
        if (candidates.Count == 0) return null;
        int fewest = candidates.Min(c => c.Differences.Count);
        var closest = candidates.Where(c => c.Differences.Count == fewest).ToList();
        var seconds = closest.Select(c => c.Stage.Seconds * Scale(wanted, settings, c.Stage)).Median();
        var basis = fewest == 0
            ? $"like {Count(closest.Count, kind)} with the same settings"
            : $"like {Count(closest.Count, kind)} differing in {string.Join(", ", closest[0].Differences.Select(Short).Distinct().Take(3))}";

        if (decision.Action == StageAction.Resume && decision.Checkpoint is { } checkpoint && Epochs(settings) is { } total && total > 0)
        {
            var left = Math.Clamp((total - checkpoint.Epoch) / (double)total, 0, 1);
            return new StageEstimate(seconds * left, $"{basis}, {total - checkpoint.Epoch} of {total} epochs left");
        }
        return new StageEstimate(seconds, basis);
    }

    private List<StoredStage> Stored() => _stored ??= store.Keys().Select(Read).OfType<StoredStage>().ToList();

    private StoredStage? Read(string key)
    {
        var entry = store.Entry(key);
        try
        {
            var manifest = entry.ReadManifest();
            var definition = entry.ReadDefinition();
            if (manifest is not { Status: StageStatus.Completed, DurationSeconds: { } seconds } || definition is null) return null;
            return new StoredStage(manifest.Kind, Relevant(DefinitionSettings.Flatten(definition)), seconds, WorkOf(definition));
        }
        catch (Exception e) when (e is RunFormatException or IOException or JsonException) { return null; }
    }

    private static SortedDictionary<string, string> Relevant(SortedDictionary<string, string> settings)
    {
        foreach (var name in settings.Keys.Where(k => Ignored.Any(i => k == i || k.StartsWith(i + ".", StringComparison.Ordinal))).ToList())
            settings.Remove(name);
        return settings;
    }

    private static List<string> Differences(SortedDictionary<string, string> a, SortedDictionary<string, string> b) =>
        a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k)).Order(StringComparer.Ordinal).ToList();

    private double? WorkOf(string definition)
    {
        if (work is null) return null;
        using var json = JsonDocument.Parse(definition);
        return work.Of(json.RootElement);
    }

    /// <summary>The stored stage's duration times this: the ratio of work where both are known, else of epochs.</summary>
    public static double Scale(double? wanted, SortedDictionary<string, string> settings, double? storedWork, SortedDictionary<string, string> storedSettings) =>
        wanted is > 0 && storedWork is > 0 ? wanted.Value / storedWork.Value : EpochRatio(settings, storedSettings);

    private static double Scale(double? wanted, SortedDictionary<string, string> settings, StoredStage stored) =>
        Scale(wanted, settings, stored.Work, stored.Settings);

    private static double EpochRatio(SortedDictionary<string, string> wanted, SortedDictionary<string, string> stored) =>
        Epochs(wanted) is { } w && Epochs(stored) is { } s && s > 0 ? w / (double)s : 1;

    private static int? Epochs(SortedDictionary<string, string> settings) =>
        settings.TryGetValue("parameters.epochs", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epochs) ? epochs : null;

    private static string Short(string path) => path.StartsWith("parameters.", StringComparison.Ordinal) ? path["parameters.".Length..] : path;

    private static string Count(int n, string kind) => n == 1 ? $"1 stored {kind} stage" : $"{n} stored {kind} stages";
}
