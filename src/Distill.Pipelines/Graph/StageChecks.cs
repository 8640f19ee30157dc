using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>
/// Checks that need more than one stage, run once every stage's inputs are resolved: each kind's own checks
/// (<see cref="IStageKind.Check"/>) through the helpers here, which find the stages a stage reads, the train stage
/// behind it and its dataset, turn class names into indices and report errors where the stage writes the key.
/// </summary>
public sealed class StageChecks
{
    private readonly ErrorSink _errors;
    private readonly IReadOnlyList<BoundStage> _stages;
    private readonly IReadOnlyDictionary<string, DatasetDefinition> _datasets;
    private readonly IReadOnlyDictionary<string, ModelDefinition> _models;
    private readonly StageCatalogue _catalogue;
    private readonly Dictionary<string, BoundStage> _byId;

    internal StageChecks(ErrorSink errors, IReadOnlyList<BoundStage> stages, IReadOnlyDictionary<string, DatasetDefinition> datasets,
        IReadOnlyDictionary<string, ModelDefinition> models, StageCatalogue catalogue)
    {
        (_errors, _stages, _datasets, _models, _catalogue) = (errors, stages, datasets, models, catalogue);
        _byId = stages.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());
    }

    internal void CheckAll()
    {
        foreach (var stage in _stages) _catalogue.Kind(stage.Kind)?.Check(this, stage);
    }

    /// <summary>An error at the value of <paramref name="keyPath"/> in the stage (its name when the key is absent).</summary>
    public void Error(BoundStage stage, string message, params string[] keyPath) => _errors.Add(stage.At(keyPath), message);

    /// <summary>An error at the first reference written under inputs.<paramref name="role"/>.</summary>
    public void InputError(BoundStage stage, string role, string message) =>
        _errors.Add(stage.Inputs.FirstOrDefault(r => r.Role == role)?.References.FirstOrDefault()?.At ?? stage.NameAt, message);

    /// <summary>The one stage a role names; null when it names none or several (reported by the input resolver).</summary>
    public BoundStage? Single(BoundStage stage, string role) =>
        stage.Resolved.TryGetValue(role, out var ids) && ids.Count == 1 && _byId.TryGetValue(ids[0], out var s) ? s : null;

    /// <summary>Every stage a role names.</summary>
    public IReadOnlyList<BoundStage> All(BoundStage stage, string role) =>
        stage.Resolved.TryGetValue(role, out var ids) ? ids.Where(_byId.ContainsKey).Select(id => _byId[id]).ToList() : [];

    public DatasetDefinition? Dataset(string? name) => name is not null && _datasets.TryGetValue(name, out var d) ? d : null;

    public ModelDefinition? Model(string? name) => name is not null && _models.TryGetValue(name, out var m) ? m : null;

    /// <summary>The kinds, dataset kinds and architectures the pipeline is checked against.</summary>
    public StageCatalogue Catalogue => _catalogue;

    /// <summary>
    /// The <see cref="LineageRole.Origin"/> stage behind a stage (a train stage, or an import standing in for one),
    /// following each kind's model-carrying input role as <see cref="Lineage"/> does after resolution; null when a link is missing.
    /// </summary>
    public BoundStage? OriginBehind(BoundStage stage)
    {
        // Bounded: these checks may run on a graph whose cycles are reported, not yet removed.
        for (int steps = 0; steps <= _stages.Count && stage.Spec?.Lineage != LineageRole.Origin; steps++)
        {
            var role = stage.Spec?.Inputs.FirstOrDefault(r => r.LeadsToModel);
            if (role is null || Single(stage, role.Role) is not { } upstream) return null;
            stage = upstream;
        }
        return stage.Spec?.Lineage == LineageRole.Origin ? stage : null;
    }

    /// <summary>
    /// Class names become 0-based indices when the dataset kind fixes its classes (so "dog" and 5 give the same stage
    /// key); indices are checked against the class count. <paramref name="keyPath"/> is the class list's key, or a map
    /// key and the list's key within it.
    /// </summary>
    public void ResolveClasses(BoundStage stage, DatasetDefinition dataset, params string[] keyPath)
    {
        if (keyPath.Length is not (1 or 2)) throw new ArgumentException("a class list is a key or a key in a map", nameof(keyPath));
        var owner = keyPath.Length == 1 ? ParameterSet.From(stage.Parameters) : stage.Parameters.GetValueOrDefault(keyPath[0]) as ParameterSet;
        var key = keyPath[^1];
        if (owner is null || !owner.ContainsKey(key)) return;
        var names = dataset.ClassNames;
        if (names is null) return;
        var resolved = new List<object>();
        foreach (var item in owner.GetList(key))
        {
            var index = ResolveClass(item, dataset, Fail);
            if (index is null) return;
            if (resolved.Contains(index.Value))
            {
                Fail($"{key} names class {names[index.Value]} twice");
                return;
            }
            resolved.Add(index.Value);
        }
        if (keyPath.Length == 1) stage.Parameters[key] = resolved;
        else stage.Parameters[keyPath[0]] = owner.With(key, resolved);

        int? Fail(string message)
        {
            _errors.Add(stage.At(keyPath), message);
            return null;
        }
    }

    /// <summary>
    /// Resolves a list of class pairs in a map key (`diffusion: { similar: [[Shirt, T-shirt/top]] }`) against the
    /// dataset's class names, so the stage's key holds indices.
    /// </summary>
    public void ResolveClassPairs(BoundStage stage, DatasetDefinition dataset, string map, string key)
    {
        if (stage.Parameters.GetValueOrDefault(map) is not ParameterSet owner || !owner.ContainsKey(key)) return;
        var names = dataset.ClassNames;
        if (names is null) return;
        var resolved = new List<object>();
        foreach (var pair in owner.GetList(key).Cast<IReadOnlyList<object>>())
        {
            var indices = new List<object>();
            foreach (var item in pair)
            {
                var index = ResolveClass(item, dataset, Fail, unknownHint: $"; declare {map}.{key} with its own classes");
                if (index is null) return;
                indices.Add(index.Value);
            }
            if (Equals(indices[0], indices[1]))
            {
                Fail($"{key} pairs class {names[(int)indices[0]]} with itself");
                return;
            }
            resolved.Add(indices);
        }
        stage.Parameters[map] = owner.With(key, resolved);

        int? Fail(string message)
        {
            _errors.Add(stage.At([map, key]), message);
            return null;
        }
    }

    /// <summary>A class given by 0-based index or by name, as its index; null after <paramref name="fail"/> says why not.</summary>
    private static int? ResolveClass(object item, DatasetDefinition dataset, Func<string, int?> fail, string unknownHint = "")
    {
        var names = dataset.ClassNames!;
        return item switch
        {
            int i when i < names.Count => i,
            int i => fail($"class index {i} is out of range: dataset '{dataset.Name}' has {names.Count} classes"),
            string s => FindClass(names, s) ?? fail($"unknown class '{s}' in dataset '{dataset.Name}' ({dataset.Kind}: {Preview(names)}){unknownHint}"),
            _ => null,
        };
    }

    private static int? FindClass(IReadOnlyList<string> names, string given)
    {
        static string Norm(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var i = names.Select(Norm).ToList().IndexOf(Norm(given));
        return i >= 0 ? i : null;
    }

    private static string Preview(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $", ... {names.Count} in all";
}
