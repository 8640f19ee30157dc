using Distill.Pipelines.Binding;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Graph;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines;

/// <summary>Turns a YAML tree into a <see cref="PipelineDefinition"/>, one pass per concern: top-level keys,
/// datasets and models, matrix expansion, stage parameters, inputs, cross-stage checks, order.
/// Passes go on after errors where their input is still meaningful, so one run reports as much as it can.</summary>
internal sealed class PipelineCompiler(ErrorSink errors, string sourcePath, StageCatalogue catalogue)
{
    private static readonly HashSet<string> Sections = PipelineKeys.Sections.Select(s => s.Name).ToHashSet();

    public PipelineDefinition? Compile(YNode root)
    {
        if (root is not YMapping map)
        {
            errors.Add(root.Start, "a pipeline file must be a map with keys name, stages, datasets, models ...");
            return null;
        }
        var binder = new ParameterBinder(errors);
        var extensions = map.Entries.Where(e => e.Key.Value.StartsWith(PipelineKeys.ExtensionPrefix, StringComparison.Ordinal)).Select(e => e.Key.Value);
        var top = binder.Bind(map, PipelineKeys.Scalars, "the pipeline", Sections.Concat(extensions).ToHashSet(), Position.Start);

        var reader = new DefinitionReader(errors, catalogue, Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".");
        var datasets = reader.ReadDatasets(map.Find("datasets"));
        var models = reader.ReadModels(map.Find("models"));

        var stages = ReadStages(map, DefinitionReader.Names(map.Find("datasets")), DefinitionReader.Names(map.Find("models")));
        new InputResolver(errors, stages).ResolveAll();
        new StageChecks(errors, stages, datasets, models, catalogue).CheckAll();
        var ordered = TopologicalOrder.Sort(stages, errors);
        if (errors.Count > 0 || ordered is null) return null;

        return new PipelineDefinition(
            (string)top["name"], (int)top["seed"], (string)top["device"], (int)top["threads"],
            datasets, models, ordered.Select(s => ToDefinition(s)).ToList(), Path.GetFullPath(sourcePath))
        {
            Description = top.GetValueOrDefault("description") as string,
            Resources = StageResources.Read(top.GetValueOrDefault(StageResources.Key) as ParameterSet),
            Catalogue = catalogue,
        };
    }

    private List<BoundStage> ReadStages(YMapping root, IReadOnlySet<string> datasets, IReadOnlySet<string> models)
    {
        var section = root.Find("stages");
        if (section?.Value is not YMapping stagesMap || stagesMap.Entries.Count == 0)
        {
            errors.Add(section?.Value.Start ?? Position.Start,
                section is null ? "missing required key 'stages' in the pipeline" : "stages must be a non-empty map: stage name -> stage definition");
            return [];
        }

        var expander = new MatrixExpander(errors);
        var expanded = new List<ExpandedStage>();
        foreach (var (key, value) in stagesMap.Entries.Select(e => (e.Key, e.Value)))
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(key.Value, PipelineKeys.NamePattern))
                errors.Add(key.Start, $"stage name '{key.Value}' must be lowercase letters, digits and hyphens");
            else if (value is not YMapping body)
                errors.Add(value.Start, $"stage '{key.Value}' must be a map of settings (kind, dataset, model ...)");
            else
                expanded.AddRange(expander.Expand(key, body));
        }

        var unique = RemoveDuplicateIds(expanded);
        var binder = new StageBinder(errors, datasets, models, catalogue);
        return unique.Select((s, i) => binder.Bind(s, i)).ToList();
    }

    private List<ExpandedStage> RemoveDuplicateIds(List<ExpandedStage> stages)
    {
        // Ids name folders, so ids differing only in case would clash on case-insensitive file systems.
        var first = new Dictionary<string, ExpandedStage>(StringComparer.OrdinalIgnoreCase);
        var result = new List<ExpandedStage>();
        foreach (var s in stages)
        {
            if (first.TryGetValue(s.Id, out var earlier))
            {
                errors.Add(s.IdAt, earlier.BaseName == s.BaseName
                    ? $"stage '{s.BaseName}' produces the id '{s.Id}' more than once; make its id template use every matrix variable"
                    : $"duplicate stage id '{s.Id}' (stage '{earlier.BaseName}' at line {earlier.IdAt.Line} has the id '{earlier.Id}')");
                continue;
            }
            first[s.Id] = s;
            result.Add(s);
        }
        return result;
    }

    /// <remarks>`resources:` leaves the parameters here: it is not part of what the stage computes, so not of its key.</remarks>
    private StageDefinition ToDefinition(BoundStage s)
    {
        var parameters = new Dictionary<string, object>(s.Parameters, StringComparer.Ordinal);
        parameters.Remove(StageResources.Key, out var resources);
        return new(
            s.Id, s.Source.BaseName, s.Kind!, ParameterSet.From(parameters),
            s.Resolved.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            s.Dataset, s.Model, s.Source.MatrixValues,
            new SourceLocation(errors.File, s.NameAt.Line, s.NameAt.Column))
        {
            Resources = StageResources.Read(resources as ParameterSet),
        };
    }
}
