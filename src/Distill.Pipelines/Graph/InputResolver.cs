using Distill.Pipelines.Binding;
using Distill.Pipelines.Catalogue;

namespace Distill.Pipelines.Graph;

/// <summary>Turns the references written in <c>inputs:</c> into stage ids: an exact id, a matrix stage's base
/// name (all its stages) or "*" (every stage but report stages); then checks each role's count and kinds.</summary>
internal sealed class InputResolver(ErrorSink errors, IReadOnlyList<BoundStage> stages)
{
    public const string Everything = "*";

    private readonly Dictionary<string, BoundStage> _byId = stages.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());
    private readonly ILookup<string, BoundStage> _byBase = stages.Where(s => s.Source.FromMatrix).ToLookup(s => s.Source.BaseName);

    public void ResolveAll()
    {
        foreach (var stage in stages) Resolve(stage);
    }

    private void Resolve(BoundStage stage)
    {
        // A report that names no inputs reads everything: otherwise, with no dependencies, it would run first.
        if (stage.Spec is { AnyInputRoles: true } && stage.Inputs.Count == 0)
        {
            stage.Resolved["all"] = stages.Where(s => s != stage && !ReadsEverything(s)).Select(s => s.Id).ToList();
            return;
        }
        foreach (var role in stage.Inputs)
        {
            var ids = new List<string>();
            var ok = true;
            foreach (var reference in role.References)
            {
                var targets = Lookup(stage, reference);
                if (targets is null) { ok = false; continue; }
                ids.AddRange(targets.Select(t => t.Id).Where(id => !ids.Contains(id)));
            }
            stage.Resolved[role.Role] = ids;
            if (ok) CheckRole(stage, role, ids);
        }
    }

    private IReadOnlyList<BoundStage>? Lookup(BoundStage stage, InputReference reference)
    {
        List<BoundStage> found;
        if (reference.Text == Everything)
            found = stages.Where(s => s != stage && !ReadsEverything(s)).ToList();
        else if (_byId.TryGetValue(reference.Text, out var exact))
            found = [exact];
        else if (_byBase.Contains(reference.Text))
            found = _byBase[reference.Text].ToList();
        else
        {
            errors.Add(reference.At, $"unknown stage '{reference.Text}' in inputs of stage '{stage.Id}'{Hint(reference.Text)}");
            return null;
        }
        if (found.Contains(stage))
        {
            errors.Add(reference.At, $"stage '{stage.Id}' cannot read its own outputs");
            return null;
        }
        return found;
    }

    /// <summary>Report stages: `*` never names them, so two reports never read each other.</summary>
    private static bool ReadsEverything(BoundStage stage) => stage.Spec?.AnyInputRoles == true;

    /// <summary>A near-miss id, or, for "base-..." references, the ids that matrix stage really has.</summary>
    private string Hint(string text)
    {
        var family = _byBase.FirstOrDefault(g => text.StartsWith(g.Key + "-", StringComparison.Ordinal));
        if (family is not null)
            return $" (stage '{family.Key}' expands to {string.Join(", ", family.Select(s => s.Id))}; set its 'id' template to choose other ids)";
        return Suggest.Hint(text, _byId.Keys.Concat(_byBase.Select(g => g.Key)));
    }

    private void CheckRole(BoundStage stage, InputRole role, List<string> ids)
    {
        var spec = stage.Spec?.Inputs.FirstOrDefault(r => r.Role == role.Role);
        if (spec is null) return;
        if (ids.Count < spec.MinStages || ids.Count > spec.MaxStages)
        {
            var wanted = spec.MinStages == spec.MaxStages ? $"exactly {spec.MinStages}" : $"{spec.MinStages} to {spec.MaxStages}";
            var got = ids.Count == 0 ? "none" : $"{ids.Count} ({string.Join(", ", ids)})";
            errors.Add(role.At, $"inputs.{role.Role} of stage '{stage.Id}' must name {wanted} stage{(spec.MaxStages == 1 ? "" : "s")}, got {got}");
            return;
        }
        foreach (var reference in role.References)
        {
            foreach (var target in Lookup(stage, reference) ?? [])
            {
                if (target.Kind is { } kind && !spec.Kinds.Contains(kind))
                    errors.Add(reference.At,
                        $"inputs.{role.Role} of stage '{stage.Id}': '{target.Id}' is a {kind} stage; expected {string.Join(" or ", spec.Kinds.Select(k => (k.StartsWith('i') ? "an " : "a ") + k))} stage");
            }
        }
    }
}
