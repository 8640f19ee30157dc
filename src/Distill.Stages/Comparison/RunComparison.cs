using System.Globalization;
using System.Text.Json;
using Distill.Pipelines;
using Distill.Runs;
using Distill.Stages.Engine;

namespace Distill.Stages.Comparison;

/// <summary>One resolved setting that differs between two stages: its dotted path in the stage's canonical definition.</summary>
public sealed record ParameterChange(string Path, string? Before, string? After);

/// <summary>A final metric of two stages, side by side.</summary>
public sealed record MetricChange(string Name, double Before, double After)
{
    public double Difference => After - Before;
}

/// <summary>How stage <see cref="StageA"/> of run A and <see cref="StageB"/> of run B differ; a missing side has a null status.</summary>
public sealed record StageComparison(string StageA, string StageB, string? StatusA, string? StatusB, bool SameKey,
    IReadOnlyList<ParameterChange> Parameters, IReadOnlyList<MetricChange> Metrics)
{
    public bool Differs => !SameKey || StatusA != StatusB || Parameters.Count > 0 || Metrics.Any(m => !m.Before.Equals(m.After));
}

/// <summary>
/// Compares two run directories (or one stage of each) from what they store: the pipeline each last ran
/// (`pipeline.yaml` in the run folder), resolved to canonical definitions, and the stages' manifests.
/// </summary>
public static class RunComparer
{
    /// <summary>Every stage id of either run whose definition, status, key or final metrics differ, in run A's order.</summary>
    public static IReadOnlyList<StageComparison> CompareRuns(string runA, string runB)
    {
        var (a, b) = (RunSnapshot.Open(runA), RunSnapshot.Open(runB));
        var ids = a.StageIds.Concat(b.StageIds.Where(id => !a.StageIds.Contains(id))).ToList();
        return ids.Select(id => Compare(a, id, b, id)).Where(c => c.Differs).ToList();
    }

    /// <summary>One stage of run A against one stage of run B, whether or not they differ.</summary>
    public static StageComparison CompareStages(string runA, string stageA, string runB, string stageB) =>
        Compare(RunSnapshot.Open(runA), stageA, RunSnapshot.Open(runB), stageB);

    private static StageComparison Compare(RunSnapshot a, string stageA, RunSnapshot b, string stageB)
    {
        var (ma, mb) = (a.Manifest(stageA), b.Manifest(stageB));
        var (pa, pb) = (a.Settings(stageA), b.Settings(stageB));
        var parameters = pa.Keys.Union(pb.Keys).Order(StringComparer.Ordinal)
            .Select(path => new ParameterChange(path, pa.GetValueOrDefault(path), pb.GetValueOrDefault(path)))
            .Where(c => c.Before != c.After).ToList();
        var metricsA = ma?.Metrics ?? new Dictionary<string, double>();
        var metricsB = mb?.Metrics ?? new Dictionary<string, double>();
        var metrics = metricsA.Keys.Union(metricsB.Keys).Order(StringComparer.Ordinal)
            .Select(name => new MetricChange(name, metricsA.GetValueOrDefault(name, double.NaN), metricsB.GetValueOrDefault(name, double.NaN))).ToList();
        return new StageComparison(stageA, stageB, ma?.Status.ToString().ToLowerInvariant(), mb?.Status.ToString().ToLowerInvariant(),
            ma is not null && mb is not null && ma.Key == mb.Key, parameters, metrics);
    }

    /// <summary>A run folder as stored: its pipeline copy, resolved, and its stage folders.</summary>
    private sealed class RunSnapshot
    {
        private readonly RunDirectory _run;
        private readonly PipelineDefinition? _pipeline;

        private RunSnapshot(RunDirectory run, PipelineDefinition? pipeline, IReadOnlyList<string> stageIds)
        {
            _run = run;
            _pipeline = pipeline;
            StageIds = stageIds;
        }

        public IReadOnlyList<string> StageIds { get; }

        public static RunSnapshot Open(string runFolder)
        {
            var root = Path.GetFullPath(runFolder);
            if (!Directory.Exists(root))
            {
                var parent = Path.GetDirectoryName(root)!;
                var runs = Directory.Exists(parent)
                    ? Directory.EnumerateDirectories(parent).Where(d => File.Exists(Path.Combine(d, PipelineRunner.PipelineCopyName))).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
                    : [];
                throw new ArgumentException($"no run '{Path.GetFileName(root)}' in {parent} (runs there: {(runs.Count == 0 ? "none" : string.Join(", ", runs))})");
            }
            var copy = Path.Combine(root, PipelineRunner.PipelineCopyName);
            var loaded = File.Exists(copy) ? PipelineLoader.Load(copy, Kinds.StageKindRegistry.Catalogue) : null;
            if (loaded is { Succeeded: false })
                throw new ArgumentException($"{copy} no longer loads: {string.Join("; ", loaded.Errors.Take(3))}");
            var run = RunDirectory.AtPath(root);
            var fromPipeline = loaded?.Pipeline?.Stages.Select(s => s.Id) ?? [];
            return new RunSnapshot(run, loaded?.Pipeline, fromPipeline.Concat(run.ExistingStageIds()).Distinct().ToList());
        }

        public StageManifest? Manifest(string stageId) => _run.Stage(stageId)?.ReadManifest();

        /// <summary>The stage's canonical definition flattened to dotted paths ("parameters.alpha" -> "0.1"); empty if the pipeline lacks it.</summary>
        public IReadOnlyDictionary<string, string> Settings(string stageId)
        {
            var stage = _pipeline?.Stages.FirstOrDefault(s => s.Id == stageId);
            if (stage is null) return new SortedDictionary<string, string>(StringComparer.Ordinal);
            var flat = DefinitionSettings.Flatten(stage.CanonicalJson(_pipeline!));
            flat.Remove("id"); // the ids are what is being paired, not a difference
            return flat;
        }
    }
}

/// <summary>Writes comparisons as a Markdown table, CSV rows or JSON.</summary>
public static class ComparisonFormat
{
    public static string Markdown(string runA, string runB, IReadOnlyList<StageComparison> comparisons)
    {
        var (header, rows) = Table(comparisons);
        var lines = new List<string> { $"Comparing {runA} (A) with {runB} (B): {comparisons.Count} stage(s) differ.", "",
            $"| {string.Join(" | ", header)} |", $"|{string.Concat(header.Select(_ => " --- |"))}" };
        lines.AddRange(rows.Select(r => $"| {string.Join(" | ", r)} |"));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The comparison as table rows: a stage's first row names it, its status and what differs; each row one metric.</summary>
    public static (IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) Table(IReadOnlyList<StageComparison> comparisons, string a = "A", string b = "B")
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var c in comparisons)
        {
            var name = c.StageA == c.StageB ? c.StageA : $"{c.StageA} / {c.StageB}";
            var what = c.Parameters.Count == 0 ? (c.SameKey ? "results only (same key)" : "an input stage changed")
                : string.Join("; ", c.Parameters.Select(p => $"{p.Path}: {p.Before ?? "-"} -> {p.After ?? "-"}"));
            var metrics = c.Metrics.Count == 0 ? [new MetricChange("", double.NaN, double.NaN)] : c.Metrics;
            for (int i = 0; i < metrics.Count; i++)
            {
                var m = metrics[i];
                rows.Add(i == 0
                    ? [name, c.StatusA ?? "-", c.StatusB ?? "-", what, m.Name, N(m.Before), N(m.After), N(m.Difference)]
                    : ["", "", "", "", m.Name, N(m.Before), N(m.After), N(m.Difference)]);
            }
        }
        return (["stage", a, b, "what differs", "metric", a, b, $"{b} - {a}"], rows);
    }

    public static string Csv(IReadOnlyList<StageComparison> comparisons)
    {
        var lines = new List<string> { "stage_a,stage_b,row,name,a,b,difference" };
        foreach (var c in comparisons)
        {
            lines.Add($"{c.StageA},{c.StageB},status,,{c.StatusA},{c.StatusB},");
            lines.AddRange(c.Parameters.Select(p => $"{c.StageA},{c.StageB},parameter,{Quote(p.Path)},{Quote(p.Before)},{Quote(p.After)},"));
            lines.AddRange(c.Metrics.Select(m => $"{c.StageA},{c.StageB},metric,{m.Name},{N(m.Before)},{N(m.After)},{N(m.Difference)}"));
        }
        return string.Join('\n', lines) + "\n";
    }

    public static string Json(IReadOnlyList<StageComparison> comparisons) => JsonSerializer.Serialize(comparisons, RunJson.Options);

    private static string N(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "";

    private static string Quote(string? s) => s is null ? "" : s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}
