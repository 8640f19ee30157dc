using Distill.Pipelines;
using Distill.Pipelines.Catalogue;
using Distill.Runs;

namespace Distill.Stages.Data;

/// <summary>
/// Files a stage imports from outside the run store (keys marked <see cref="ParameterSpec.HashesFiles"/>: a train
/// stage's `weights.path`, an import-logits stage's `path`): where they are, and their contents as part of the key.
/// </summary>
public static class ExternalFiles
{
    /// <summary>A path as written in the pipeline, made absolute against the pipeline file's folder.</summary>
    public static string Resolve(PipelineDefinition pipeline, string path) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pipeline.SourcePath))!, path));

    /// <summary>
    /// "key=sha256" for every imported file of the stage (each file of a folder, by relative name), one per line, or
    /// "" when it imports nothing, so the keys of every other stage are unchanged.
    /// </summary>
    public static string Fingerprint(PipelineDefinition pipeline, StageDefinition stage)
    {
        var lines = new List<string>();
        foreach (var (key, path) in Paths(pipeline, stage))
        {
            var full = Resolve(pipeline, path);
            if (File.Exists(full)) lines.Add($"{key}={FileHash.Sha256Hex(full)}");
            else if (Directory.Exists(full))
                lines.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    .Select(f => $"{key}/{Path.GetRelativePath(full, f).Replace('\\', '/')}={FileHash.Sha256Hex(f)}"));
            else throw new FileNotFoundException($"stage '{stage.Id}': {key} '{path}' ({full}) does not exist", full);
        }
        return lines.Count == 0 ? "" : "imported files:\n" + string.Join("\n", lines);
    }

    /// <returns>One line per stage whose imported file or folder is missing; empty when all are there.</returns>
    public static IReadOnlyList<string> Problems(PipelineDefinition pipeline) =>
        pipeline.Stages.SelectMany(stage => Paths(pipeline, stage)
                .Where(p => !File.Exists(Resolve(pipeline, p.Path)) && !Directory.Exists(Resolve(pipeline, p.Path)))
                .Select(p => $"{stage.Location}: stage '{stage.Id}': {p.Key} '{p.Path}' does not exist ({Resolve(pipeline, p.Path)})"))
            .ToList();

    /// <summary>The (dotted key, path as written) pairs of the stage's HashesFiles keys, nested maps included.</summary>
    private static IEnumerable<(string Key, string Path)> Paths(PipelineDefinition pipeline, StageDefinition stage)
    {
        var spec = pipeline.Catalogue.Find(stage.Kind);
        return spec is null ? [] : Walk(spec.Parameters, stage.Parameters, "");
    }

    private static IEnumerable<(string, string)> Walk(IReadOnlyList<ParameterSpec> specs, ParameterSet values, string prefix)
    {
        foreach (var spec in specs)
        {
            if (!values.TryGetValue(spec.Name, out var value)) continue;
            if (spec.HashesFiles && value is string path) yield return (prefix + spec.Name, path);
            else if (spec.Type == ParameterType.Map && value is ParameterSet nested)
                foreach (var inner in Walk(spec.Fields, nested, prefix + spec.Name + ".")) yield return inner;
        }
    }
}
