namespace Distill.Pipelines.Catalogue;

/// <summary>
/// `resources:` of a stage, or of the pipeline as defaults for every stage: what a batch scheduler (the Slurm engine)
/// asks for to run the stage. None of it changes what the stage computes, so none of it is in a stage's key; the CPU
/// thread count a stage runs with is (see docs/distributed.md). Unset values fall back to the pipeline's, then to the
/// kind's defaults (<see cref="StageKindSpec.RunsNetworks"/>).
/// </summary>
public sealed record StageResources(
    [Key("cpus", "CPU cores (Slurm --cpus-per-task); the stage's threads follow it unless the pipeline sets `threads`. Default: 2 for stages that run a network, else 1.", Min = 1)] int? Cpus = null,
    [Key("gpus", "GPUs (Slurm --gres=gpu:N). Default: 1 for stages that run a network when the pipeline's device is cuda, else 0.", Min = 0)] int? Gpus = null,
    [Key("memory", "Memory per node (Slurm --mem): a number with an optional K, M, G or T suffix.", Pattern = StageResources.MemoryPattern)] string? Memory = null,
    [Key("time", "Time limit (Slurm --time): minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS.", Pattern = StageResources.TimePattern)] string? Time = null,
    [Key("partition", "Slurm partition.", Pattern = StageResources.NamePattern)] string? Partition = null,
    [Key("account", "Slurm account to charge.", Pattern = StageResources.NamePattern)] string? Account = null,
    [Key("qos", "Slurm quality of service.", Pattern = StageResources.NamePattern)] string? Qos = null,
    [Key("sbatch-flags", "More sbatch options, separated by spaces, e.g. \"--constraint=a100 --exclusive\".", Pattern = StageResources.FlagsPattern)] string? SbatchFlags = null)
{
    public const string Key = "resources";

    public const string MemoryPattern = "^[0-9]+[KMGT]?$";
    public const string TimePattern = "^([0-9]+-[0-9]{1,2}(:[0-9]{2}){0,2}|[0-9]+(:[0-9]{2}){0,2})$";
    public const string NamePattern = "^[A-Za-z0-9_.-]+$";
    public const string FlagsPattern = "^(--?[A-Za-z][A-Za-z0-9-]*(=[^ ]+)?)( --?[A-Za-z][A-Za-z0-9-]*(=[^ ]+)?)*$";

    public static readonly StageResources None = new();

    /// <summary>The key's spec: an optional map of these fields, on stages and at the top of the pipeline.</summary>
    public static readonly ParameterSpec Spec = new()
    {
        Name = Key,
        Type = ParameterType.Map,
        Fields = ParameterRecords.Specs<StageResources>(),
        AffectsResult = false,
        Description = "What a batch scheduler gives the stage (the Slurm engine): cpus, gpus, memory, time, partition, account, qos, sbatch-flags. At the top of the pipeline: defaults for every stage.",
    };

    public static StageResources Read(ParameterSet? values) => values is null ? None : ParameterRecords.Read<StageResources>(values);

    /// <summary>This stage's values where set, else <paramref name="defaults"/>'.</summary>
    public StageResources Over(StageResources defaults) => new(
        Cpus ?? defaults.Cpus, Gpus ?? defaults.Gpus, Memory ?? defaults.Memory, Time ?? defaults.Time,
        Partition ?? defaults.Partition, Account ?? defaults.Account, Qos ?? defaults.Qos, SbatchFlags ?? defaults.SbatchFlags);
}
