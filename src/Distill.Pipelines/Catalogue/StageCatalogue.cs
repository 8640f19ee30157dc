using Distill.Pipelines.Graph;

namespace Distill.Pipelines.Catalogue;

/// <summary>
/// A stage kind as validation sees it: its catalogue entry and the checks that need more than one stage. The engine's
/// side of a kind (executor, report section) lives beside it in the same folder of Distill.Stages.
/// </summary>
public interface IStageKind
{
    StageKindSpec Spec { get; }

    /// <summary>Checks a stage of this kind against the stages it reads and the datasets (after inputs are resolved).</summary>
    void Check(StageChecks checks, BoundStage stage) { }
}

/// <summary>The stage kinds a build knows: the single source for loader, schema and docs.</summary>
public sealed class StageCatalogue
{
    private readonly Dictionary<string, IStageKind> _byName;

    public StageCatalogue(IEnumerable<IStageKind> kinds)
    {
        Kinds = kinds.ToList();
        _byName = Kinds.ToDictionary(k => k.Spec.Name, StringComparer.Ordinal);
        All = Kinds.Select(k => k.Spec).ToList();
        CommonKeys =
        [
            P.Enum("kind", null, "What the stage does.", [.. All.Select(k => k.Name)]) with { Required = true },
            new() { Name = "matrix", Type = ParameterType.Map, Description = "Expands the stage into one stage per combination: variable -> list of values, referenced as ${variable}." },
            P.Str("id", "Id template of each expanded stage (matrix stages only), e.g. \"student-T${temperature}\"; default: base name plus -<variable><value> per variable."),
            new() { Name = "seeds", Type = ParameterType.NumberList, Description = "Replicate seeds, e.g. [1, 2, 3]: the stage is repeated once per seed (one more matrix variable, ${seed}, ids ending in -seed<N>); stages with the same seed share their random streams, so a hard-target and a smoothed run of one seed differ only in alpha." },
            new() { Name = "inputs", Type = ParameterType.Map, Description = $"Role -> stage id or list of stage ids this stage reads; a matrix stage's base name means all of its stages; \"{InputResolver.Everything}\" means every stage except report stages." },
            Description,
        ];
    }

    public static readonly ParameterSpec Description = P.Str("description", "Free text for people; ignored by the program.", affectsResult: false);

    public IReadOnlyList<IStageKind> Kinds { get; }

    public IReadOnlyList<StageKindSpec> All { get; }

    /// <summary>Keys every stage may have besides its kind's parameters.</summary>
    public IReadOnlyList<ParameterSpec> CommonKeys { get; }

    public StageKindSpec? Find(string? name) => name is not null && _byName.TryGetValue(name, out var kind) ? kind.Spec : null;

    public IStageKind? Kind(string? name) => name is not null && _byName.TryGetValue(name, out var kind) ? kind : null;
}
