using Distill.Pipelines.Binding;
using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>Reads one expanded stage: its kind, its kind's parameters, dataset and model references and
/// the inputs as written (resolved later, once every stage id is known).</summary>
internal sealed class StageBinder(ErrorSink errors, IReadOnlySet<string> datasets, IReadOnlySet<string> models, StageCatalogue catalogue)
{
    private readonly ParameterBinder _binder = new(errors);

    private static readonly HashSet<string> HandledHere = ["kind", "inputs"];

    public BoundStage Bind(ExpandedStage stage, int order)
    {
        var spec = ReadKind(stage);
        var where = spec is null ? $"stage '{stage.BaseName}'" : $"{spec.Name} stage '{stage.BaseName}'";
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        string? dataset = null, model = null;
        if (spec is not null)
        {
            var specs = spec.Parameters.Concat(spec.ReferenceKeys).Append(StageCatalogue.Description).Append(StageResources.Spec).ToList();
            var otherKinds = catalogue.All.SelectMany(k => k.Parameters).Select(p => p.Name)
                .Concat(StageReferenceKeys.All.Select(k => k.Name)).ToHashSet();
            parameters = _binder.Bind(stage.Body, specs, where, HandledHere, stage.NameKey.Start, otherKinds);
            parameters.Remove("description");
            dataset = TakeReference(parameters, stage, "dataset", datasets);
            model = TakeReference(parameters, stage, "model", models);
        }
        return new BoundStage(stage, spec, parameters, dataset, model, ReadInputs(stage, spec, where), order);
    }

    private StageKindSpec? ReadKind(ExpandedStage stage)
    {
        var entry = stage.Body.Find("kind");
        if (entry is null)
        {
            if (stage.Body.Incomplete) return null;
            errors.Add(stage.NameKey.Start, $"missing required key 'kind' in stage '{stage.BaseName}' (one of {KindList})");
            return null;
        }
        if (entry.Value is YInvalid) return null;
        var spec = entry.Value is YScalar s ? catalogue.Find(s.Value) : null;
        if (spec is null)
        {
            var text = entry.Value is YScalar k ? k.Typed.Describe() : "a list or map";
            var hint = entry.Value is YScalar k2 ? Suggest.Hint(k2.Value, catalogue.All.Select(x => x.Name)) : "";
            errors.Add(entry.Value.Start, $"unknown stage kind {text}{hint}; expected one of {KindList}");
        }
        return spec;
    }

    private string KindList => string.Join(", ", catalogue.All.Select(k => k.Name));

    private string? TakeReference(Dictionary<string, object> parameters, ExpandedStage stage, string key, IReadOnlySet<string> known)
    {
        if (!parameters.Remove(key, out var value)) return null;
        var name = (string)value;
        if (known.Contains(name)) return name;
        var defined = known.Count == 0 ? $"no {key}s are defined" : $"defined: {string.Join(", ", known.Order())}";
        errors.Add(stage.Body.Find(key)!.Value.Start, $"unknown {key} '{name}'{Suggest.Hint(name, known)} ({defined})");
        return null;
    }

    private List<InputRole> ReadInputs(ExpandedStage stage, StageKindSpec? spec, string where)
    {
        var roles = new List<InputRole>();
        var misspelt = false;
        var entry = stage.Body.Find("inputs");
        if (entry?.Value is YMapping map)
        {
            foreach (var (key, value) in map.Entries.Select(e => (e.Key, e.Value)))
            {
                if (spec is { AnyInputRoles: false } && spec.Inputs.All(r => r.Role != key.Value))
                {
                    var expected = spec.Inputs.Count == 0 ? "it reads no inputs" : "expected: " + string.Join(", ", spec.Inputs.Select(r => r.Role));
                    errors.Add(key.Start, $"unknown input role '{key.Value}' for {where} ({expected})");
                    misspelt = true;
                    continue;
                }
                if (ReadReferences(value, key.Value) is { } refs) roles.Add(new InputRole(key.Value, value.Start, refs));
            }
        }
        else if (entry is not null && entry.Value is not YInvalid && !(entry.Value is YScalar s && s.Typed.Type == ScalarType.Null))
        {
            errors.Add(entry.Value.Start, "inputs must be a map: role -> stage id or list of stage ids");
        }

        foreach (var role in spec?.Inputs ?? [])
        {
            // A misspelt role already says which roles are expected.
            if (!role.Required || misspelt || roles.Any(r => r.Role == role.Role)) continue;
            // Present but unreadable (wrong shape, unknown ${variable}): already reported.
            if (entry?.Value is YMapping m && m.Find(role.Role) is not null) continue;
            errors.Add(entry is null ? stage.NameKey.Start : entry.Key.Start, $"{where} needs inputs.{role.Role}: {role.Description}");
        }
        return roles;
    }

    private List<InputReference>? ReadReferences(YNode value, string role)
    {
        switch (value)
        {
            case YInvalid:
                return null;
            case YScalar s when s.Typed.Type is not ScalarType.Null:
                return [new InputReference(s.Value, s.Start)];
            case YSequence seq:
                var refs = new List<InputReference>();
                foreach (var item in seq.Items)
                {
                    if (item is YScalar i && i.Typed.Type is not ScalarType.Null) refs.Add(new InputReference(i.Value, i.Start));
                    else if (item is not YInvalid) errors.Add(item.Start, $"inputs.{role}: each item must be a stage id");
                }
                return refs;
            default:
                errors.Add(value.Start, $"inputs.{role} must be a stage id or a list of stage ids");
                return null;
        }
    }
}
