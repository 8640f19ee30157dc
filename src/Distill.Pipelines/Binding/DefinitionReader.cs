using System.Text.RegularExpressions;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Binding;

/// <summary>Reads the <c>datasets:</c> and <c>models:</c> sections into definitions.</summary>
internal sealed class DefinitionReader(ErrorSink errors, StageCatalogue catalogue, string baseDirectory)
{
    private readonly ParameterBinder _binder = new(errors);

    public Dictionary<string, DatasetDefinition> ReadDatasets(YEntry? section) =>
        ReadSection(section, "dataset", (key, map) => ReadDataset(key, map));

    public Dictionary<string, ModelDefinition> ReadModels(YEntry? section) =>
        ReadSection(section, "model", (key, map) => ReadModel(key, map));

    /// <summary>Names every entry, including invalid ones, so stages naming them get no follow-on error.</summary>
    public static IReadOnlySet<string> Names(YEntry? section) =>
        section?.Value is YMapping m ? m.Entries.Select(e => e.Key.Value).ToHashSet() : new HashSet<string>();

    private Dictionary<string, T> ReadSection<T>(YEntry? section, string what, Func<YScalar, YMapping, T?> read) where T : class
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (section is null || section.Value is YScalar { Typed.Type: ScalarType.Null }) return result;
        if (section.Value is not YMapping map)
        {
            errors.Add(section.Value.Start, $"{section.Key.Value} must be a map: name -> {what} definition");
            return result;
        }
        foreach (var (key, value) in map.Entries.Select(e => (e.Key, e.Value)))
        {
            if (!Regex.IsMatch(key.Value, PipelineKeys.NamePattern))
                errors.Add(key.Start, $"{what} name '{key.Value}' must be lowercase letters, digits and hyphens");
            if (value is not YMapping body)
            {
                errors.Add(value.Start, $"{what} '{key.Value}' must be a map of settings");
                continue;
            }
            if (read(key, body) is { } definition) result[key.Value] = definition;
        }
        return result;
    }

    private DatasetDefinition? ReadDataset(YScalar key, YMapping map)
    {
        var kind = ReadKind(map, key, catalogue.DatasetKindKey, $"dataset '{key.Value}'");
        var spec = catalogue.FindDataset(kind);
        if (spec is null) return null;
        var before = errors.Count;
        var values = _binder.Bind(map, spec.Parameters, $"{spec.Name} dataset '{key.Value}'", null, key.Start, catalogue.DatasetKeys);
        if (errors.Count > before) return null;
        CheckSizes(spec, map, values);
        var path = (string)values["path"];
        var absolute = Path.GetFullPath(Path.Combine(baseDirectory, path));
        values["path"] = absolute;
        var parameters = ParameterSet.From(values);
        return new DatasetDefinition(key.Value, spec.Name, absolute, parameters, Location(key)) { ClassNames = spec.ClassNames(parameters) };
    }

    /// <summary>Where a kind fixes its split sizes, the validation and subset counts must fit in them.</summary>
    private void CheckSizes(DatasetKindSpec spec, YMapping map, Dictionary<string, object> values)
    {
        var validation = (int)values["validation"];
        if (spec.TrainSize is { } train && validation >= train)
            errors.Add(map.Find("validation")!.Value.Start, $"validation {validation} leaves no training examples ({spec.Name} has {train})");
        if (values.TryGetValue("subset", out var s) && s is ParameterSet subset && map.Find("subset")?.Value is YMapping subsetNode)
        {
            if (spec.TrainSize is { } t && subset.TryGetInt("train") is { } keep && keep > t - validation)
                errors.Add(subsetNode.Find("train")!.Value.Start, $"subset.train {keep} is more than the {t - validation} training examples left after validation");
            if (spec.TestSize is { } tt && subset.TryGetInt("test") is { } keepTest && keepTest > tt)
                errors.Add(subsetNode.Find("test")!.Value.Start, $"subset.test {keepTest} is more than the {tt} test examples of {spec.Name}");
        }
    }

    private ModelDefinition? ReadModel(YScalar key, YMapping map)
    {
        var arch = ReadKind(map, key, catalogue.ArchitectureKey, $"model '{key.Value}'");
        var spec = catalogue.FindArchitecture(arch);
        if (spec is null) return null;
        var before = errors.Count;
        var values = _binder.Bind(map, spec.Parameters, $"{spec.Name} model '{key.Value}'", null, key.Start, catalogue.ArchitectureKeys);
        return errors.Count > before ? null : new ModelDefinition(key.Value, spec.Name, ParameterSet.From(values), Location(key));
    }

    /// <summary>Reads the discriminating key (kind / architecture) first, since it decides which keys are valid.</summary>
    private string? ReadKind(YMapping map, YScalar owner, ParameterSpec kindKey, string where)
    {
        var entry = map.Find(kindKey.Name);
        if (entry is null)
        {
            errors.Add(owner.Start, $"missing required key '{kindKey.Name}' in {where} (one of {string.Join(", ", kindKey.Values)})");
            return null;
        }
        return _binder.Convert(kindKey, entry.Value) as string;
    }

    private SourceLocation Location(YScalar key) => new(errors.File, key.Start.Line, key.Start.Column);
}
