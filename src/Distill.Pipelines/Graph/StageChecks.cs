using Distill.Pipelines.Catalogue;
using Distill.Pipelines.Yaml;

namespace Distill.Pipelines.Graph;

/// <summary>Checks that need more than one stage: the teacher a distill stage reads matches its
/// teacher-source and dataset, calibration reads splits that were cached, projected models share a dataset;
/// and turns class names into indices against the dataset each stage works on.</summary>
internal sealed class StageChecks(ErrorSink errors, IReadOnlyList<BoundStage> stages, IReadOnlyDictionary<string, DatasetDefinition> datasets)
{
    private readonly Dictionary<string, BoundStage> _byId = stages.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());

    public void CheckAll()
    {
        foreach (var stage in stages)
        {
            switch (stage.Kind)
            {
                case StageKinds.Train: CheckTrain(stage); break;
                case StageKinds.Distill: CheckDistill(stage); break;
                case StageKinds.Calibrate: CheckCalibrate(stage); break;
                case StageKinds.Project: CheckProject(stage); break;
            }
        }
    }

    private void CheckTrain(BoundStage stage)
    {
        if (stage.Parameters.GetValueOrDefault("mutual-information") is ParameterSet mi && Dataset(stage.Dataset) is { } d
            && ResolveClasses(mi, "classes", d, stage.At("mutual-information", "classes")) is { } resolved)
            stage.Parameters["mutual-information"] = resolved;
    }

    private void CheckDistill(BoundStage stage)
    {
        var teacher = Single(stage, "teacher");
        if (teacher?.Kind is null || stage.Parameters.GetValueOrDefault("teacher-source") is not string source) return;
        string[] wanted = source == "cache" ? [StageKinds.CacheLogits, StageKinds.ImportLogits] : [StageKinds.Train];
        if (!wanted.Contains(teacher.Kind))
        {
            errors.Add(Reference(stage, "teacher"),
                $"stage '{stage.Id}' has teacher-source '{source}', so inputs.teacher must be a {string.Join(" or ", wanted)} stage; '{teacher.Id}' is a {teacher.Kind} stage");
            return;
        }
        if (teacher.Kind == StageKinds.ImportLogits && stage.Parameters.GetValueOrDefault("views") is int many && many > 1)
            errors.Add(stage.At("views"), $"views {many} is more than the 1 view imported by '{teacher.Id}' (imported logits are of the plain images)");
        var trained = TrainedBehind(stage);
        if (trained?.Dataset is { } teacherData && stage.Dataset is { } own && teacherData != own)
            errors.Add(stage.At("dataset"),
                $"stage '{stage.Id}' uses dataset '{own}' but its teacher '{trained.Id}' was trained on '{teacherData}'; teacher outputs are per example, so they must match");
        if (source == "cache" && stage.Parameters.GetValueOrDefault("views") is int views
            && teacher.Parameters.GetValueOrDefault("views") is int cached && views > cached)
            errors.Add(stage.At("views"), $"views {views} is more than the {cached} view(s) cached by '{teacher.Id}'");
    }

    private void CheckCalibrate(BoundStage stage)
    {
        var cache = Single(stage, "logits");
        if (cache?.Kind is not (StageKinds.CacheLogits or StageKinds.ImportLogits)) return;
        var splits = cache.Parameters.GetValueOrDefault("splits") as IReadOnlyList<object> ?? [];
        var dataset = Dataset(TrainedBehind(stage)?.Dataset);
        foreach (var key in new[] { "fit-split", "eval-split" })
        {
            if (stage.Parameters.GetValueOrDefault(key) is not string split) continue;
            if (!splits.Contains(split))
                errors.Add(stage.At(key), $"{key} '{split}' is not among the splits {(cache.Kind == StageKinds.ImportLogits ? "imported" : "cached")} by '{cache.Id}' ({string.Join(", ", splits)})");
            else if (split == "validation" && dataset is not null && dataset.Parameters.GetInt("validation") == 0)
                errors.Add(stage.At(key), $"{key} is 'validation' but dataset '{dataset.Name}' has no validation split (set its 'validation' count)");
        }
        if (stage.Parameters.GetValueOrDefault("fit-split") is string fit && fit == stage.Parameters.GetValueOrDefault("eval-split") as string)
            errors.Add(stage.At("eval-split"), $"eval-split must differ from fit-split ('{fit}'): fitting and measuring on the same examples flatters the result");
    }

    private void CheckProject(BoundStage stage)
    {
        if (!stage.Resolved.TryGetValue("models", out var ids)) return;
        var models = ids.Select(id => _byId[id]).Where(s => s.Kind is StageKinds.Train or StageKinds.Distill).ToList();
        var names = models.Select(m => m.Dataset).Distinct().ToList();
        if (names.Count > 1)
        {
            errors.Add(stage.At("inputs", "models"), $"the models projected by '{stage.Id}' were trained on different datasets ({string.Join(", ", names)})");
            return;
        }
        if (Dataset(names.FirstOrDefault()) is { } d)
        {
            var set = ParameterSet.From(stage.Parameters);
            if (ResolveClasses(set, "classes", d, stage.At("classes")) is { } resolved)
                stage.Parameters["classes"] = resolved["classes"];
        }
    }

    /// <summary>Class names become 0-based indices when the dataset kind fixes its classes (so "dog" and 5
    /// give the same stage key); indices are checked against the class count.</summary>
    private ParameterSet? ResolveClasses(ParameterSet owner, string key, DatasetDefinition dataset, Position at)
    {
        if (!owner.ContainsKey(key)) return null;
        var names = dataset.ClassNames;
        if (names is null) return owner;
        var resolved = new List<object>();
        foreach (var item in owner.GetList(key))
        {
            int? index = item switch
            {
                int i when i < names.Count => i,
                int i => Fail($"class index {i} is out of range: dataset '{dataset.Name}' has {names.Count} classes"),
                string s => FindClass(names, s) ?? Fail($"unknown class '{s}' in dataset '{dataset.Name}' ({dataset.Kind}: {Preview(names)})"),
                _ => null,
            };
            if (index is null) return null;
            if (resolved.Contains(index.Value))
            {
                Fail($"{key} names class {names[index.Value]} twice");
                return null;
            }
            resolved.Add(index.Value);
        }
        return owner.With(key, resolved);

        int? Fail(string message)
        {
            errors.Add(at, message);
            return null;
        }
    }

    private static int? FindClass(IReadOnlyList<string> names, string given)
    {
        static string Norm(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var i = names.Select(Norm).ToList().IndexOf(Norm(given));
        return i >= 0 ? i : null;
    }

    private static string Preview(IReadOnlyList<string> names) =>
        names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $", ... {names.Count} in all";

    /// <summary>
    /// The train stage behind a stage, following each kind's model-carrying input role as
    /// <see cref="Lineage"/> does after resolution; null when a link is missing (reported elsewhere).
    /// </summary>
    private BoundStage? TrainedBehind(BoundStage stage)
    {
        // Bounded: these checks may run on a graph whose cycles are reported, not yet removed.
        for (int steps = 0; steps <= stages.Count && stage.Kind != StageKinds.Train; steps++)
        {
            var role = StageKinds.Find(stage.Kind)?.Inputs.FirstOrDefault(r => r.LeadsToModel);
            if (role is null || Single(stage, role.Role) is not { } upstream) return null;
            stage = upstream;
        }
        return stage.Kind == StageKinds.Train ? stage : null;
    }

    private BoundStage? Single(BoundStage stage, string role) =>
        stage.Resolved.TryGetValue(role, out var ids) && ids.Count == 1 && _byId.TryGetValue(ids[0], out var s) ? s : null;

    private static Position Reference(BoundStage stage, string role) =>
        stage.Inputs.FirstOrDefault(r => r.Role == role)?.References.FirstOrDefault()?.At ?? stage.NameAt;

    private DatasetDefinition? Dataset(string? name) => name is not null && datasets.TryGetValue(name, out var d) ? d : null;
}
