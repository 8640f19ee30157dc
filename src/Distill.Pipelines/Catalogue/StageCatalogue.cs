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

/// <summary>The stage kinds, dataset kinds and architectures a build knows: the single source for loader, schema and docs.</summary>
public sealed class StageCatalogue
{
    private readonly Dictionary<string, IStageKind> _byName;
    private readonly Dictionary<string, IDatasetKind> _datasets;
    private readonly Dictionary<string, IArchitecture> _architectures;

    /// <param name="kernels">The revisions of the kernels networks run on and of the LibTorch build, by name
    /// ("kernel/convolution"): part of the key of every stage of a kind that runs networks.</param>
    public StageCatalogue(IEnumerable<IStageKind> kinds, IEnumerable<IDatasetKind> datasets, IEnumerable<IArchitecture> architectures,
        IReadOnlyDictionary<string, object>? kernels = null)
    {
        Kernels = kernels ?? new Dictionary<string, object>();
        _datasets = datasets.ToDictionary(d => d.Spec.Name, StringComparer.Ordinal);
        _architectures = architectures.ToDictionary(a => a.Spec.Name, StringComparer.Ordinal);
        var datasetSpecs = _datasets.Values.Select(d => d.Spec).ToList();
        DatasetKindKey = P.Enum("kind", null, "Which dataset reader to use.", [.. datasetSpecs.Select(d => d.Name)]) with { Required = true };
        Datasets = datasetSpecs.Select(d => d with { Parameters = [DatasetKindKey, .. d.Parameters] }).ToList();
        DatasetKeys = Datasets.SelectMany(k => k.Parameters).Select(p => p.Name).ToHashSet();
        var architectureSpecs = _architectures.Values.Select(a => a.Spec).ToList();
        ArchitectureKey = P.Enum("architecture", null, "Network family.", [.. architectureSpecs.Select(a => a.Name)]) with { Required = true };
        Architectures = architectureSpecs.Select(a => a with { Parameters = [ArchitectureKey, .. a.Parameters] }).ToList();
        ArchitectureKeys = Architectures.SelectMany(k => k.Parameters).Select(p => p.Name).ToHashSet();

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
            StageResources.Spec,
            Description,
        ];
    }

    /// <summary>The kernels' revisions and the LibTorch build, by name (see <see cref="CodeRevisions"/>).</summary>
    public IReadOnlyDictionary<string, object> Kernels { get; }

    public static readonly ParameterSpec Description = P.Str("description", "Free text for people; ignored by the program.", affectsResult: false);

    public IReadOnlyList<IStageKind> Kinds { get; }

    public IReadOnlyList<StageKindSpec> All { get; }

    /// <summary>Keys every stage may have besides its kind's parameters.</summary>
    public IReadOnlyList<ParameterSpec> CommonKeys { get; }

    /// <summary>The dataset kinds, each with the `kind:` key first.</summary>
    public IReadOnlyList<DatasetKindSpec> Datasets { get; }
    public ParameterSpec DatasetKindKey { get; }
    /// <summary>Every key any dataset kind accepts (for "does not apply to this kind" messages).</summary>
    public IReadOnlySet<string> DatasetKeys { get; }

    /// <summary>The architectures, each with the `architecture:` key first.</summary>
    public IReadOnlyList<ArchitectureSpec> Architectures { get; }
    public ParameterSpec ArchitectureKey { get; }
    /// <summary>Every key any architecture accepts.</summary>
    public IReadOnlySet<string> ArchitectureKeys { get; }

    public DatasetKindSpec? FindDataset(string? name) => Datasets.FirstOrDefault(d => d.Name == name);

    public ArchitectureSpec? FindArchitecture(string? name) => Architectures.FirstOrDefault(a => a.Name == name);

    /// <summary>The registered dataset kind (the engine casts it to its own type to open the data).</summary>
    public IDatasetKind? DatasetKind(string? name) => name is not null && _datasets.TryGetValue(name, out var kind) ? kind : null;

    /// <summary>The registered architecture (the engine casts it to its own type to build the network).</summary>
    public IArchitecture? Architecture(string? name) => name is not null && _architectures.TryGetValue(name, out var a) ? a : null;

    public StageKindSpec? Find(string? name) => name is not null && _byName.TryGetValue(name, out var kind) ? kind.Spec : null;

    public IStageKind? Kind(string? name) => name is not null && _byName.TryGetValue(name, out var kind) ? kind : null;
}
